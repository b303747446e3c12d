import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * The account's API Gateway CloudWatch Logs role (`AWS::ApiGateway::Account`). A WebSocket stage with access logging
 * cannot be created until the account has one, and nothing else in this app creates it: a fresh account fails its
 * first deploy on the WebSocket stage. There is one such setting per account and region, shared by every API in it,
 * so this construct exists only behind the opt-in context flag `apiGatewayCloudWatchRole` (`npm run preflight`
 * says whether the account needs it). The role is retained: deleting it would break the logging of every other
 * API in the account that relies on the same setting.
 */
export class ApiGatewayAccountRole extends Construct {
  readonly role: iam.Role;
  readonly account: apigw.CfnAccount;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      description: 'API Gateway: writes access and execution logs of every API in this account and region to CloudWatch Logs',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs')],
    });
    this.role.applyRemovalPolicy(RemovalPolicy.RETAIN);
    this.account = new apigw.CfnAccount(this, 'Account', { cloudWatchRoleArn: this.role.roleArn });
    this.account.applyRemovalPolicy(RemovalPolicy.RETAIN);
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason: 'The account-wide API Gateway logging role must create and write log groups named after any API and stage in the account; AWS maintains this policy for exactly that role.',
    });
  }
}
