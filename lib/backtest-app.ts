import type { App } from 'aws-cdk-lib';
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readAppConfig, type AppConfig } from './app-config.ts';
import { EdgeStack } from './edge-stack.ts';
import { ServiceStack } from './service-stack.ts';
import { StatefulStack } from './stateful-stack.ts';

export interface BacktestStacks {
  readonly config: AppConfig;
  readonly stateful: StatefulStack;
  readonly service: ServiceStack;
  /** Only when the service stack deploys outside us-east-1 and context gives no `webAclArn`. */
  readonly edge: EdgeStack | undefined;
}

export interface BacktestAppOptions {
  /** @default CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION, as the CLI sets them when credentials are available */
  readonly env?: { readonly account?: string; readonly region?: string };
}

/**
 * Adds both stacks and the cdk-nag AwsSolutions checks to `app`. Shared by bin/app.ts and the infra tests, so
 * the tests synthesize exactly what `cdk deploy` deploys.
 *
 * No account or region lookups: the stacks are environment-agnostic unless the CLI supplies CDK_DEFAULT_ACCOUNT /
 * CDK_DEFAULT_REGION (it does when credentials are available), so `cdk synth` works offline.
 */
export function addBacktestStacks(app: App, options: BacktestAppOptions = {}): BacktestStacks {
  const config = readAppConfig((key) => app.node.tryGetContext(key));
  const account = options.env ? options.env.account : process.env.CDK_DEFAULT_ACCOUNT;
  const region = options.env ? options.env.region : process.env.CDK_DEFAULT_REGION;
  const env = account || region ? { account, region } : undefined;
  // CloudFront's WebACL must live in us-east-1. In that region (or when the region is unknown, as offline) the
  // service stack holds it; elsewhere a small Edge stack there does, referenced across regions.
  const edge =
    config.webAclArn === undefined && region !== undefined && region !== 'us-east-1'
      ? new EdgeStack(app, `${config.stackPrefix}Edge`, {
          env: { account, region: 'us-east-1' },
          crossRegionReferences: true,
          config,
          description: 'Backtest queue: WAF WebACL (per-IP rate rules) for the CloudFront distribution; us-east-1 only',
        })
      : undefined;

  const stateful = new StatefulStack(app, `${config.stackPrefix}Stateful`, {
    env,
    config,
    description: 'Backtest queue: tables, market-data bucket, user pool (retained on delete)',
  });
  const service = new ServiceStack(app, `${config.stackPrefix}Service`, {
    env,
    config,
    stateful,
    webAclArn: config.webAclArn ?? edge?.firewall.arn,
    crossRegionReferences: edge !== undefined,
    description: 'Backtest queue: HTTP and WebSocket APIs, tiered queues, workers, stuck-job sweeper, progress stream, alarms',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  if (edge) service.addDependency(edge);
  return { config, stateful, service, edge };
}
