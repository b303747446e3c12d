import { CfnOutput, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { AppConfig } from './app-config.ts';
import { ApiGatewayAccountRole } from './constructs/api-gateway-account-role.ts';
import { Auth } from './constructs/auth.ts';
import { DataTables } from './constructs/data-tables.ts';

export interface StatefulStackProps extends StackProps {
  readonly config: AppConfig;
}

/**
 * What must outlive a redeploy of the service: the tables, the market-data bucket and the user pool
 * (users and passwords cannot be recreated from code). Kept in its own stack so the service stack can be
 * destroyed and recreated freely; tables, bucket and pool are retained when this stack is deleted.
 */
export class StatefulStack extends Stack {
  readonly jobsTable: dynamodb.Table;
  readonly connectionsTable: dynamodb.Table;
  readonly usersTable: dynamodb.Table;
  /** Published leaderboard entries, ranked by one index per metric (docs/leaderboard.md). */
  readonly leaderboardTable: dynamodb.Table;
  /** OHLCV CSV files at `<SYMBOL>/<timeframe>.csv`, e.g. `ORCL/1d.csv`. */
  readonly marketDataBucket: s3.Bucket;
  readonly auth: Auth;
  /**
   * Export name of the bucket's ARN. The service stack imports it by this name (instead of an automatic
   * cross-stack reference) so its IAM statements, and the cdk-nag acknowledgment for `<bucket>/*`, are known
   * while the app is being built.
   */
  readonly marketDataBucketArnExport: string;
  /** The account's API Gateway CloudWatch role, when context `apiGatewayCloudWatchRole=true` asks for it. */
  readonly apiGatewayAccountRole: ApiGatewayAccountRole | undefined;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;
    const tables = new DataTables(this, 'Tables');
    this.jobsTable = tables.byId.Jobs;
    this.connectionsTable = tables.byId.Connections;
    this.usersTable = tables.byId.Users;
    this.leaderboardTable = tables.byId.Leaderboard;

    this.marketDataBucket = new s3.Bucket(this, 'MarketData', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.marketDataBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'Reference data: objects are written by operators and only read by the worker role; versioning keeps every upload, and CloudTrail data events can be enabled if an access audit is needed.',
    });

    // Account-wide, so here (deployed before the service stack and its WebSocket stage, never destroyed with it).
    this.apiGatewayAccountRole = config.apiGatewayCloudWatchRole ? new ApiGatewayAccountRole(this, 'ApiGatewayAccountRole') : undefined;

    this.auth = new Auth(this, 'Auth', {
      externalJwt: config.externalJwt,
      mfa: config.mfa,
      logRetentionDays: config.logRetentionDays,
      ...(config.authDomainPrefix ? { domainPrefix: config.authDomainPrefix } : {}),
    });

    this.marketDataBucketArnExport = `${this.stackName}-MarketDataBucketArn`;
    this.exportValue(this.marketDataBucket.bucketArn, { name: this.marketDataBucketArnExport });
    new CfnOutput(this, 'MarketDataBucketName', { value: this.marketDataBucket.bucketName, description: 'Upload <SYMBOL>/<timeframe>.csv here' });
    new CfnOutput(this, 'JwtIssuer', { value: this.auth.issuer });
    // For operator tools run from a laptop (npm run dlq -- redrive --jobs-table ... --users-table ...).
    new CfnOutput(this, 'JobsTableName', { value: this.jobsTable.tableName });
    new CfnOutput(this, 'UsersTableName', { value: this.usersTable.tableName });
    if (this.auth.cognito) {
      new CfnOutput(this, 'UserPoolId', { value: this.auth.cognito.userPool.userPoolId });
      // The app client is in the service stack (its callback is the CloudFront URL): output UserPoolClientId there.
      new CfnOutput(this, 'AuthDomainUrl', { value: this.auth.cognito.domainUrl, description: 'Cognito managed login' });
    }
  }
}
