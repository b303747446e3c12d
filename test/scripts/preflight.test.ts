import { APIGatewayClient, GetAccountCommand } from '@aws-sdk/client-api-gateway';
import { GetAccountSettingsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetServiceQuotaCommand, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { readAppConfig } from '../../lib/app-config.ts';
import { BOOTSTRAP_PARAMETER, formatFindings, runPreflight, type Finding } from '../../scripts/preflight-checks.ts';

/** npm run preflight's checks against mocked AWS answers: each account problem of issue 11 is named with its fix. */

const sts = mockClient(STSClient);
const lambda = mockClient(LambdaClient);
const quotas = mockClient(ServiceQuotasClient);
const apiGateway = mockClient(APIGatewayClient);
const ssm = mockClient(SSMClient);
const clients = () => ({
  sts: new STSClient({ region: 'eu-west-1' }),
  lambda: new LambdaClient({ region: 'eu-west-1' }),
  quotas: new ServiceQuotasClient({ region: 'eu-west-1' }),
  apiGateway: new APIGatewayClient({ region: 'eu-west-1' }),
  ssm: new SSMClient({ region: 'eu-west-1' }),
});
const config = (context: Record<string, unknown> = {}) => readAppConfig((key) => context[key]);
const find = (findings: Finding[], check: Finding['check']) => findings.filter((f) => f.check === check);

/** A healthy, bootstrapped account with a 1000 quota and an API Gateway logging role. */
function healthyAccount(): void {
  sts.on(GetCallerIdentityCommand).resolves({ Account: '123456789012' });
  lambda.on(GetAccountSettingsCommand).resolves({ AccountLimit: { ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 1000 } });
  quotas.on(GetServiceQuotaCommand).resolves({ Quota: { Value: 1000 } });
  apiGateway.on(GetAccountCommand).resolves({ cloudwatchRoleArn: 'arn:aws:iam::123456789012:role/apigw-logs' });
  ssm.on(GetParameterCommand, { Name: BOOTSTRAP_PARAMETER }).resolves({ Parameter: { Value: '27' } });
}

describe('npm run preflight', () => {
  beforeEach(() => {
    for (const mock of [sts, lambda, quotas, apiGateway, ssm]) mock.reset();
  });

  it('passes a ready account, in us-east-1 with no Edge stack to bootstrap', async () => {
    healthyAccount();

    const findings = await runPreflight(clients(), { config: config(), region: 'us-east-1' });

    expect(findings.map((f) => [f.check, f.verdict])).toEqual([
      ['account', 'ok'],
      ['region', 'ok'],
      ['concurrency', 'ok'],
      ['cloudwatch-role', 'ok'],
      ['bootstrap', 'ok'],
    ]);
  });

  it('fails reservedConcurrency on a quota-10 account, saying what quota to ask for', async () => {
    healthyAccount();
    lambda.on(GetAccountSettingsCommand).resolves({ AccountLimit: { ConcurrentExecutions: 10, UnreservedConcurrentExecutions: 10 } });

    const findings = await runPreflight(clients(), { config: config({ reservedConcurrency: 'true' }), region: 'us-east-1' });

    const [concurrency] = find(findings, 'concurrency');
    expect(concurrency.verdict).toBe('fail');
    expect(concurrency.detail).toContain('reserves 75 (free 5 + basic 20 + pro 50)');
    expect(concurrency.todo).toContain('at least 175');
    expect(formatFindings(findings)).toContain('FAIL concurrency');
  });

  it('only warns without reservedConcurrency (the deploy works, tiers share what there is)', async () => {
    healthyAccount();
    lambda.on(GetAccountSettingsCommand).resolves({ AccountLimit: { ConcurrentExecutions: 10, UnreservedConcurrentExecutions: 10 } });

    const [concurrency] = find(await runPreflight(clients(), { config: config(), region: 'us-east-1' }), 'concurrency');

    expect(concurrency.verdict).toBe('warn');
    expect(concurrency.todo).toContain('reservedConcurrency');
  });

  it('counts what other functions already reserved', async () => {
    healthyAccount();
    lambda.on(GetAccountSettingsCommand).resolves({ AccountLimit: { ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 150 } });

    const [concurrency] = find(await runPreflight(clients(), { config: config({ reservedConcurrency: 'true' }), region: 'us-east-1' }), 'concurrency');

    expect(concurrency.verdict).toBe('fail');
    expect(concurrency.detail).toContain('150 unreserved of 1000');
  });

  it('falls back to Service Quotas when GetAccountSettings is refused', async () => {
    healthyAccount();
    lambda.on(GetAccountSettingsCommand).rejects(Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' }));
    quotas.on(GetServiceQuotaCommand, { ServiceCode: 'lambda', QuotaCode: 'L-B99A9384' }).resolves({ Quota: { Value: 50 } });

    const [concurrency] = find(await runPreflight(clients(), { config: config(), region: 'us-east-1' }), 'concurrency');

    expect(concurrency.verdict).toBe('warn');
    expect(concurrency.detail).toContain('quota is 50');
  });

  it('fails when the account has no API Gateway CloudWatch role, and names the flag that creates it', async () => {
    healthyAccount();
    apiGateway.on(GetAccountCommand).resolves({});

    const [role] = find(await runPreflight(clients(), { config: config(), region: 'us-east-1' }), 'cloudwatch-role');
    const [withFlag] = find(await runPreflight(clients(), { config: config({ apiGatewayCloudWatchRole: 'true' }), region: 'us-east-1' }), 'cloudwatch-role');

    expect(role).toMatchObject({ verdict: 'fail', todo: expect.stringContaining('-c apiGatewayCloudWatchRole=true') });
    expect(withFlag.verdict).toBe('ok');
  });

  it('warns before the flag would replace an existing role', async () => {
    healthyAccount();

    const [role] = find(await runPreflight(clients(), { config: config({ apiGatewayCloudWatchRole: 'true' }), region: 'us-east-1' }), 'cloudwatch-role');

    expect(role.verdict).toBe('warn');
    expect(role.detail).toContain('would replace it');
  });

  it('fails an account that was never bootstrapped, or too long ago, with the bootstrap command', async () => {
    healthyAccount();
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));

    const [missing] = find(await runPreflight(clients(), { config: config(), region: 'us-east-1' }), 'bootstrap');
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: '4' } });
    const [old] = find(await runPreflight(clients(), { config: config(), region: 'us-east-1' }), 'bootstrap');

    expect(missing).toMatchObject({ verdict: 'fail', todo: 'npx cdk bootstrap aws://123456789012/us-east-1' });
    expect(old).toMatchObject({ verdict: 'fail', detail: expect.stringContaining('version 4') });
  });

  it('outside us-east-1 also checks the bootstrap there, for the Edge stack', async () => {
    healthyAccount();
    const usEast1 = new SSMClient({ region: 'us-east-1' });
    // Both clients share the mock: answer by the client's region.
    ssm.on(GetParameterCommand).callsFake(async (_input, getClient) => {
      const region = await getClient().config.region();
      if (region === 'us-east-1') throw new ParameterNotFound({ message: 'not found', $metadata: {} });
      return { Parameter: { Value: '27' } };
    });

    const findings = await runPreflight({ ...clients(), ssmUsEast1: usEast1 }, { config: config(), region: 'eu-west-1' });

    expect(find(findings, 'region')[0].detail).toContain('BacktestEdge) in us-east-1');
    expect(find(findings, 'bootstrap').map((f) => [f.verdict, f.detail.split(':')[0]])).toEqual([
      ['ok', 'eu-west-1'],
      ['fail', 'us-east-1'],
    ]);
  });

  it('stops at missing credentials or region with one clear line', async () => {
    sts.on(GetCallerIdentityCommand).rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));

    expect(await runPreflight(clients(), { config: config(), region: undefined })).toEqual([expect.objectContaining({ check: 'region', verdict: 'fail' })]);
    expect(await runPreflight(clients(), { config: config(), region: 'us-east-1' })).toEqual([
      expect.objectContaining({ check: 'account', verdict: 'fail', todo: expect.stringContaining('AWS_PROFILE') }),
    ]);
  });
});
