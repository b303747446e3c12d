import type { App } from 'aws-cdk-lib';
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readAppConfig, type AppConfig } from './app-config.ts';
import { ServiceStack } from './service-stack.ts';
import { StatefulStack } from './stateful-stack.ts';

export interface BacktestStacks {
  readonly config: AppConfig;
  readonly stateful: StatefulStack;
  readonly service: ServiceStack;
}

/**
 * Adds both stacks and the cdk-nag AwsSolutions checks to `app`. Shared by bin/app.ts and the infra tests, so
 * the tests synthesize exactly what `cdk deploy` deploys.
 *
 * No account or region lookups: the stacks are environment-agnostic unless the CLI supplies CDK_DEFAULT_ACCOUNT /
 * CDK_DEFAULT_REGION (it does when credentials are available), so `cdk synth` works offline.
 */
export function addBacktestStacks(app: App): BacktestStacks {
  const config = readAppConfig((key) => app.node.tryGetContext(key));
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = process.env.CDK_DEFAULT_REGION;
  const env = account || region ? { account, region } : undefined;

  const stateful = new StatefulStack(app, `${config.stackPrefix}Stateful`, {
    env,
    config,
    description: 'Backtest queue: tables, market-data bucket, user pool (retained on delete)',
  });
  const service = new ServiceStack(app, `${config.stackPrefix}Service`, {
    env,
    config,
    stateful,
    description: 'Backtest queue: HTTP and WebSocket APIs, tiered queues, workers, stuck-job sweeper, progress stream, alarms',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { config, stateful, service };
}
