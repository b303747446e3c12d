import { APIGatewayClient, GetAccountCommand } from '@aws-sdk/client-api-gateway';
import { GetAccountSettingsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetServiceQuotaCommand, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AppConfig } from '../lib/app-config.ts';
import { TIERS } from '../lambdas/core/tiers.ts';

/** Lambda's "Concurrent executions" quota in Service Quotas. */
export const LAMBDA_CONCURRENCY_QUOTA = { ServiceCode: 'lambda', QuotaCode: 'L-B99A9384' } as const;
/** AWS keeps at least this much of the account's concurrency unreserved: reservations beyond it are refused. */
export const UNRESERVED_MINIMUM = 100;
/** The bootstrap version the app's assets require (`requiresBootstrapStackVersion` in the cloud assembly). */
export const MIN_BOOTSTRAP_VERSION = 6;
/** The default bootstrap qualifier; the app does not change it. */
export const BOOTSTRAP_PARAMETER = '/cdk-bootstrap/hnb659fds/version';

export type Verdict = 'ok' | 'warn' | 'fail';

/** One line of the report: what was checked, what was found, and (unless ok) what to do. */
export interface Finding {
  check: 'account' | 'region' | 'concurrency' | 'cloudwatch-role' | 'bootstrap';
  verdict: Verdict;
  detail: string;
  todo?: string;
}

/** The SDK clients the checks call, for one region, plus us-east-1's SSM when the Edge stack goes there. */
export interface PreflightClients {
  sts: STSClient;
  lambda: LambdaClient;
  quotas: ServiceQuotasClient;
  apiGateway: APIGatewayClient;
  ssm: SSMClient;
  /** SSM in us-east-1 (the Edge stack's bootstrap), when the target region is another one. */
  ssmUsEast1?: SSMClient;
}

export interface PreflightOptions {
  config: AppConfig;
  /** The region `cdk deploy` will use (AWS_REGION / the profile's region); undefined when none is configured. */
  region: string | undefined;
}

/**
 * Checks an account before the first `cdk deploy` of this app and says what to do about each problem. Read-only
 * calls only (GetCallerIdentity, GetAccountSettings, GetServiceQuota, apigateway:GetAccount, ssm:GetParameter).
 * A check whose call is refused (missing permission) reports that, and the other checks still run.
 */
export async function runPreflight(clients: PreflightClients, options: PreflightOptions): Promise<Finding[]> {
  const { config, region } = options;
  const findings: Finding[] = [];
  if (!region) {
    return [{ check: 'region', verdict: 'fail', detail: 'no AWS region is configured', todo: 'set AWS_REGION (or a region in your AWS profile), the region cdk deploy will use' }];
  }

  let account: string | undefined;
  try {
    account = (await clients.sts.send(new GetCallerIdentityCommand({}))).Account;
    findings.push({ check: 'account', verdict: 'ok', detail: `credentials for account ${account}` });
  } catch (error) {
    return [{ check: 'account', verdict: 'fail', detail: `no usable AWS credentials (${describe(error)})`, todo: 'set AWS_PROFILE or the AWS_* credential variables, then run npm run preflight again' }];
  }

  const edge = config.webAclArn === undefined && region !== 'us-east-1';
  findings.push({
    check: 'region',
    verdict: 'ok',
    detail: edge
      ? `${region}: the stacks deploy here and the CloudFront WebACL in a small stack (${config.stackPrefix}Edge) in us-east-1`
      : `${region}${config.webAclArn ? ' (WebACL from -c webAclArn)' : ''}`,
  });

  findings.push(await concurrencyFinding(clients, config));
  findings.push(await cloudWatchRoleFinding(clients, config));
  findings.push(await bootstrapFinding(clients.ssm, account, region));
  if (edge) {
    findings.push(
      clients.ssmUsEast1
        ? await bootstrapFinding(clients.ssmUsEast1, account, 'us-east-1')
        : { check: 'bootstrap', verdict: 'warn', detail: 'us-east-1 was not checked', todo: `the Edge stack needs it: npx cdk bootstrap aws://${account}/us-east-1` },
    );
  }
  return findings;
}

async function concurrencyFinding(clients: PreflightClients, config: AppConfig): Promise<Finding> {
  const wanted = TIERS.reduce((sum, tier) => sum + config.tiers[tier].maxConcurrency, 0);
  const perTier = TIERS.map((tier) => `${tier} ${config.tiers[tier].maxConcurrency}`).join(' + ');
  let quota: number | undefined;
  let unreserved: number | undefined;
  try {
    const settings = await clients.lambda.send(new GetAccountSettingsCommand({}));
    quota = settings.AccountLimit?.ConcurrentExecutions;
    unreserved = settings.AccountLimit?.UnreservedConcurrentExecutions;
  } catch (error) {
    // Service Quotas has the applied quota too (not what other functions already reserved).
    try {
      quota = (await clients.quotas.send(new GetServiceQuotaCommand(LAMBDA_CONCURRENCY_QUOTA))).Quota?.Value;
    } catch {
      return { check: 'concurrency', verdict: 'warn', detail: `could not read the Lambda concurrency quota (${describe(error)})`, todo: 'allow lambda:GetAccountSettings, or check Service Quotas > Lambda > Concurrent executions by hand' };
    }
  }
  if (quota === undefined) return { check: 'concurrency', verdict: 'warn', detail: 'the account reported no concurrency quota', todo: 'check Service Quotas > Lambda > Concurrent executions by hand' };
  const free = unreserved ?? quota;

  if (config.reservedConcurrency) {
    // Reserving takes from what is unreserved now, and must leave AWS's minimum.
    const room = free - UNRESERVED_MINIMUM;
    if (wanted > room) {
      return {
        check: 'concurrency',
        verdict: 'fail',
        detail: `reservedConcurrency=true reserves ${wanted} (${perTier}); the account has ${free} unreserved of ${quota} and AWS keeps ${UNRESERVED_MINIMUM} unreserved, so at most ${Math.max(0, room)} can be reserved`,
        todo: `request a "Concurrent executions" quota of at least ${quota - free + wanted + UNRESERVED_MINIMUM} in Service Quotas, lower -c concurrency, or deploy without -c reservedConcurrency=true`,
      };
    }
    return { check: 'concurrency', verdict: 'ok', detail: `reserves ${wanted} (${perTier}) of ${free} unreserved; ${free - wanted} stay unreserved` };
  }
  if (wanted > quota) {
    return {
      check: 'concurrency',
      verdict: 'warn',
      detail: `the tiers may run ${wanted} workers at once (${perTier}) but the account quota is ${quota}: the deploy works, and at full load the tiers share what the account has, paid tiers not guaranteed theirs`,
      todo: `request a "Concurrent executions" quota of at least ${wanted + UNRESERVED_MINIMUM} in Service Quotas (then -c reservedConcurrency=true guarantees each tier its share), or lower -c concurrency`,
    };
  }
  return { check: 'concurrency', verdict: 'ok', detail: `the tiers run at most ${wanted} workers at once (${perTier}); the account quota is ${quota} (nothing reserved: -c reservedConcurrency=true reserves them)` };
}

async function cloudWatchRoleFinding(clients: PreflightClients, config: AppConfig): Promise<Finding> {
  let roleArn: string | undefined;
  try {
    roleArn = (await clients.apiGateway.send(new GetAccountCommand({}))).cloudwatchRoleArn;
  } catch (error) {
    return { check: 'cloudwatch-role', verdict: 'warn', detail: `could not read API Gateway's account settings (${describe(error)})`, todo: 'allow apigateway:GET on /account, or check API Gateway > Settings > CloudWatch log role ARN by hand' };
  }
  if (roleArn && config.apiGatewayCloudWatchRole) {
    return {
      check: 'cloudwatch-role',
      verdict: 'warn',
      detail: `the account already has an API Gateway CloudWatch role (${roleArn}); -c apiGatewayCloudWatchRole=true would replace it`,
      todo: 'drop -c apiGatewayCloudWatchRole=true unless this stack should own the account setting',
    };
  }
  if (roleArn) return { check: 'cloudwatch-role', verdict: 'ok', detail: `API Gateway logs through ${roleArn}` };
  if (config.apiGatewayCloudWatchRole) return { check: 'cloudwatch-role', verdict: 'ok', detail: 'none yet; -c apiGatewayCloudWatchRole=true creates it (in the stateful stack, retained)' };
  return {
    check: 'cloudwatch-role',
    verdict: 'fail',
    detail: 'the account has no API Gateway CloudWatch role, so the WebSocket stage (access logs) cannot be created',
    todo: 'deploy once with -c apiGatewayCloudWatchRole=true (or set the role in API Gateway > Settings)',
  };
}

async function bootstrapFinding(ssm: SSMClient, account: string | undefined, region: string): Promise<Finding> {
  const bootstrap = `npx cdk bootstrap aws://${account ?? '<account>'}/${region}`;
  try {
    const value = (await ssm.send(new GetParameterCommand({ Name: BOOTSTRAP_PARAMETER }))).Parameter?.Value;
    const version = Number(value);
    if (!Number.isInteger(version) || version < MIN_BOOTSTRAP_VERSION) {
      return { check: 'bootstrap', verdict: 'fail', detail: `${region}: CDK bootstrap version ${value ?? '?'} is older than ${MIN_BOOTSTRAP_VERSION}`, todo: `${bootstrap} (upgrades it in place)` };
    }
    return { check: 'bootstrap', verdict: 'ok', detail: `${region}: CDK bootstrap version ${version}` };
  } catch (error) {
    if (error instanceof ParameterNotFound || (error as Error).name === 'ParameterNotFound') {
      return { check: 'bootstrap', verdict: 'fail', detail: `${region}: the account is not bootstrapped for the CDK`, todo: bootstrap };
    }
    return { check: 'bootstrap', verdict: 'warn', detail: `${region}: could not read ${BOOTSTRAP_PARAMETER} (${describe(error)})`, todo: `allow ssm:GetParameter on it, or run ${bootstrap} to be sure` };
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The report as lines a person reads: one per finding, with what to do under it. */
export function formatFindings(findings: readonly Finding[]): string {
  const mark: Record<Verdict, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' };
  return findings.map((f) => `${mark[f.verdict]} ${f.check}: ${f.detail}${f.todo ? `\n     -> ${f.todo}` : ''}`).join('\n');
}
