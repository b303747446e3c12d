import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { InvalidContextError, readAppConfig } from '../lib/app-config.ts';
import { REPO_ROOT } from '../lib/handler-entries.ts';
import { formatFindings, runPreflight } from './preflight-checks.ts';

const USAGE = `npm run preflight [-- -c key=value ...] [--json]
  Checks the account and region your AWS credentials point at (AWS_PROFILE / AWS_REGION) before cdk deploy:
  credentials, region, the Lambda concurrency quota against what the stack reserves, the API Gateway CloudWatch
  role, and the CDK bootstrap. Pass the same -c context you will deploy with (cdk.json's context is read too).
  Exit status 1 when a check fails.`;

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { c: { type: 'string', multiple: true }, context: { type: 'string', multiple: true }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  const context: Record<string, unknown> = { ...cdkJson.context };
  for (const pair of [...(values.c ?? []), ...(values.context ?? [])]) {
    const at = pair.indexOf('=');
    if (at < 1) {
      console.error(`-c needs key=value, got "${pair}".`);
      return 2;
    }
    context[pair.slice(0, at)] = pair.slice(at + 1);
  }
  let config;
  try {
    config = readAppConfig((key) => context[key]);
  } catch (error) {
    if (error instanceof InvalidContextError) {
      console.error(`${error.message}.`);
      return 2;
    }
    throw error;
  }
  const lambda = new LambdaClient({});
  const region = await lambda.config.region().catch(() => undefined);
  const findings = await runPreflight(
    {
      sts: new STSClient({}),
      lambda,
      quotas: new ServiceQuotasClient({}),
      apiGateway: new APIGatewayClient({}),
      ssm: new SSMClient({}),
      ...(region && region !== 'us-east-1' ? { ssmUsEast1: new SSMClient({ region: 'us-east-1' }) } : {}),
    },
    { config, region },
  );
  console.log(values.json ? JSON.stringify(findings, null, 2) : formatFindings(findings));
  return findings.some((f) => f.verdict === 'fail') ? 1 : 0;
}

process.exitCode = await main().catch((error: unknown) => {
  console.error(`Preflight could not run: ${error instanceof Error ? error.message : String(error)}`);
  return 2;
});
