import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Aws, DockerImage, Duration, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { httpRouteList } from '../definitions/http-routes.ts';
import { REPO_ROOT } from '../handler-entries.ts';
import { acknowledgeWildcardResource } from './backtest-function.ts';

/** What config.json tells the page about sign-in (the shape web/src/config.ts parses). */
export type WebSignInConfig =
  | { readonly type: 'cognito'; readonly domain: string; readonly clientId: string; readonly scopes: readonly string[] }
  /** An external OIDC issuer: the page has no sign-in of its own and takes a token link, as locally. */
  | { readonly type: 'token-link' };

export interface WebHostingProps {
  readonly httpApi: apigwv2.IHttpApi;
  /** `wss://…/prod`: the page connects to the WebSocket API directly (CloudFront is not in front of it). */
  readonly webSocketUrl: string;
  readonly signIn: WebSignInConfig;
  /** ARN of the CLOUDFRONT-scope WebACL (us-east-1) the distribution is associated with. */
  readonly webAclArn: string;
}

/**
 * First path segments of the HTTP API's routes (`/backtests`, `/admin`, ...), from the route table, so a route
 * added there is reachable through the distribution without touching this file.
 */
export function apiPathPatterns(): string[] {
  const segments = new Set(httpRouteList().map(({ route }) => route.path.split('/')[1]));
  return [...segments].sort().flatMap((segment) => (segment.includes('.') ? [`/${segment}`] : [`/${segment}`, `/${segment}/*`]));
}

/**
 * The web app on AWS: static files in a private S3 bucket behind CloudFront (origin access control), and the HTTP
 * API behind the same distribution on its own paths (`/backtests`, `/admin/...`: the paths the API already has,
 * no prefix to strip), so the page calls its own origin (no CORS) and every request passes the WAF rate rules
 * first. `config.json` beside index.html carries the deployed URLs and the Cognito client, written at deploy time.
 *
 * The files are built at synthesis by web/build.ts with the local esbuild, as NodejsFunction bundles the
 * handlers (no Docker).
 */
export class WebHosting extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;

  constructor(scope: Construct, id: string, props: WebHostingProps) {
    super(scope, id);
    const logs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // CloudFront standard logging writes with an ACL.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      // Logs are evidence: kept when the service stack is destroyed (the lifecycle rule empties the bucket in 90 days).
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(logs).acknowledge({ id: 'AwsSolutions-S1', reason: 'This bucket is itself the access-log destination (CloudFront and the site bucket).' });

    this.bucket = new s3.Bucket(this, 'Site', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 'site/',
      // Rebuilt from the repository on every deploy, but CloudFormation cannot delete a bucket with objects in it, and
      // emptying it on delete would need one more CDK-made function with a managed policy: retained, like the logs.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const apiDomain = Fn.select(2, Fn.split('/', props.httpApi.apiEndpoint));
    const apiBehavior: cloudfront.BehaviorOptions = {
      origin: new origins.HttpOrigin(apiDomain, { protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY, originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2] }),
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      // API answers are per user and per moment: never cached. AllViewerExceptHostHeader is the managed policy that
      // forwards Authorization (and Idempotency-Key, query strings) while API Gateway gets its own Host.
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
    };
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Backtest queue: web app and HTTP API',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
      },
      additionalBehaviors: Object.fromEntries(apiPathPatterns().map((pattern) => [pattern, apiBehavior])),
      webAclId: props.webAclArn,
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'cloudfront/',
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR1',
      reason: 'A trading tool for users anywhere; no country is excluded. Geo restriction can be added per deployment.',
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR4',
      reason: 'The default *.cloudfront.net certificate cannot pin a minimum TLS version (CloudFront fixes its policy); a custom domain with its own certificate can set TLSv1.2_2021.',
    });

    const url = `https://${this.distribution.distributionDomainName}`;
    const auth =
      props.signIn.type === 'cognito'
        ? { type: 'cognito', domain: props.signIn.domain, clientId: props.signIn.clientId, redirectUri: `${url}/`, scopes: [...props.signIn.scopes] }
        : { type: 'token-link' };
    const deployment = new s3deploy.BucketDeployment(this, 'Deploy', {
      destinationBucket: this.bucket,
      sources: [webAppSource(), s3deploy.Source.jsonData('config.json', { apiUrl: url, wsUrl: props.webSocketUrl, auth })],
      distribution: this.distribution,
      // Hashed assets never change under one name; only these two must be fetched again at once.
      distributionPaths: ['/', '/index.html', '/config.json'],
      memoryLimit: 512,
    });
    acknowledgeBucketDeployment(deployment, this.bucket);
  }

  /** `https://<id>.cloudfront.net`, no trailing slash. */
  get url(): string {
    return `https://${this.distribution.distributionDomainName}`;
  }
}

/** web/ built by web/build.ts into the asset folder, at synthesis, with the local esbuild (as function bundling). */
function webAppSource(): s3deploy.ISource {
  const build = `import { buildWeb } from ${JSON.stringify(join(REPO_ROOT, 'web', 'build.ts'))}; await buildWeb({ outDir: process.argv[1], minify: true });`;
  return s3deploy.Source.asset(join(REPO_ROOT, 'web'), {
    bundling: {
      // Required by the API but never pulled: local bundling either succeeds or throws.
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:24-slim'),
      local: {
        tryBundle(outputDir: string): boolean {
          // The CDK app runs on the pinned Node 24 (it strips the .ts types of bin/app.ts); so does the build.
          const result = spawnSync(process.execPath, ['--input-type=module', '-e', build, outputDir], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
          if (result.status !== 0) throw new Error(`web/build.ts failed (exit ${result.status ?? result.signal}); run it alone to see why`);
          return true;
        },
      },
    },
  });
}

/** The BucketDeployment's helper function and role are made by CDK, with findings that are CDK's design, not ours. */
function acknowledgeBucketDeployment(deployment: s3deploy.BucketDeployment, site: s3.Bucket): void {
  const stack = Stack.of(deployment);
  const handler = stack.node.children.find((child) => child.node.id.startsWith('Custom::CDKBucketDeployment'));
  if (!handler) throw new Error('BucketDeployment no longer creates its Custom::CDKBucketDeployment function: review the cdk-nag acknowledgments in web-hosting.ts');
  const copy = 'CDK BucketDeployment helper: copies the built web app from the CDK asset bucket into the site bucket (object keys known only at deploy time) and invalidates the distribution.';
  for (const action of ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*']) {
    Validations.of(handler).acknowledge({ id: `AwsSolutions-IAM5[Action::${action}]`, reason: copy });
  }
  acknowledgeWildcardResource(handler, `arn:${Aws.PARTITION}:s3:::cdk-hnb659fds-assets-${stack.account}-${stack.region}/*`, copy);
  acknowledgeWildcardResource(handler, site.arnForObjects('*'), copy);
  Validations.of(handler).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: 'CDK BucketDeployment helper: writes its own logs with the basic execution role.',
  });
  Validations.of(handler).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'CDK BucketDeployment helper: cloudfront:CreateInvalidation and GetInvalidation do not support resource-level permissions in its policy.',
  });
  Validations.of(handler).acknowledge({ id: 'AwsSolutions-L1', reason: 'CDK BucketDeployment helper: its runtime is chosen and upgraded by aws-cdk-lib.' });
}
