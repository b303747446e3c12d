import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { TIER_SETTINGS } from '../../lambdas/core/tiers.ts';
import { FACTORIES } from './default-app/handler-environment.ts';
import { synthBacktestApp, type SynthResult } from './support/synth-app.ts';
import { actionsOfRole, cdkPath, logicalIdAt, mentions, placeholderEnv, resources, roleOfFunction, statementsOfRole, type CfnResource } from './support/template-queries.ts';

/**
 * Apps built with context other than cdk.json's: each needs its own synthesis, so they share this file (one
 * process, one import of aws-cdk-lib) rather than paying for a test file each. The default app is in default-app.test.ts.
 */

const envOf = (fn: CfnResource): Record<string, unknown> => (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
const functionAt = (synth: SynthResult, path: string): CfnResource =>
  resources(synth.service, 'AWS::Lambda::Function')[logicalIdAt(synth.service, 'AWS::Lambda::Function', `${path}/Function/`)];

/** What `cdk synth -c concurrency='{"free":3,"basic":12}' -c concurrency.pro=80 -c reservedConcurrency=true` produces. */
describe('concurrency overridden by CDK context', () => {
  let synth: SynthResult;
  const settingsOf = (name: 'Free' | 'Basic' | 'Pro') => {
    const queueId = logicalIdAt(synth.service, 'AWS::SQS::Queue', `JobQueues/${name}Queue/`);
    const mapping = Object.values(resources(synth.service, 'AWS::Lambda::EventSourceMapping')).find((m) => mentions(m.Properties?.EventSourceArn, queueId));
    const fn = functionAt(synth, `Workers/${name}`);
    return {
      mapping: (mapping?.Properties?.ScalingConfig as { MaximumConcurrency: number }).MaximumConcurrency,
      reserved: fn.Properties?.ReservedConcurrentExecutions,
      memory: fn.Properties?.MemorySize,
    };
  };

  beforeAll(() => {
    synth = synthBacktestApp({ context: { concurrency: '{"free":3,"basic":12}', 'concurrency.pro': '80', reservedConcurrency: 'true' } });
  });

  it('sets both the mapping maxConcurrency and (with reservedConcurrency=true) the reserved concurrency from the override', () => {
    expect(settingsOf('Free')).toEqual({ mapping: 3, reserved: 3, memory: TIER_SETTINGS.free.workerMemoryMb });
    expect(settingsOf('Basic')).toEqual({ mapping: 12, reserved: 12, memory: TIER_SETTINGS.basic.workerMemoryMb });
    expect(settingsOf('Pro')).toEqual({ mapping: 80, reserved: 80, memory: TIER_SETTINGS.pro.workerMemoryMb });
  });

  it('makes GET /admin/queues report the overridden concurrency, not the tier table', () => {
    const adminQueues = functionAt(synth, 'HttpApi/AdminQueues');

    const deps = FACTORIES['HttpApi/AdminQueues'](placeholderEnv(adminQueues)) as { tiers: Record<string, { maxConcurrency: number }> };

    expect(envOf(adminQueues).TIER_CONCURRENCY).toBe('{"free":3,"basic":12,"pro":80}');
    expect(Object.fromEntries(Object.entries(deps.tiers).map(([tier, settings]) => [tier, settings.maxConcurrency]))).toEqual({ free: 3, basic: 12, pro: 80 });
  });
});

/** `cdk deploy -c jwtIssuer=https://login.example.com/ -c jwtAudience=backtest-api -c jwksUrl=...` */
describe('external OIDC provider instead of Cognito', () => {
  const issuer = 'https://login.example.com/';
  const jwksUrl = 'https://login.example.com/oauth/jwks';
  const adminUserFunctions = ['HttpApi/AdminUser', 'HttpApi/AdminCredits', 'HttpApi/AdminTier'];
  let synth: SynthResult;

  beforeAll(() => {
    synth = synthBacktestApp({ context: { jwtIssuer: issuer, jwtAudience: 'backtest-api', jwksUrl } });
  });

  it('creates no user pool', () => {
    expect(resources(synth.stateful, 'AWS::Cognito::UserPool')).toEqual({});
  });

  it('makes both APIs trust the same external issuer and audience', () => {
    const http = Object.values(resources(synth.service, 'AWS::ApiGatewayV2::Authorizer')).find((a) => a.Properties?.AuthorizerType === 'JWT');

    expect(http?.Properties?.JwtConfiguration).toEqual({ Issuer: issuer, Audience: ['backtest-api'] });
    expect(envOf(functionAt(synth, 'WebSocketApi/Authorizer'))).toMatchObject({ JWT_ISSUER: issuer, JWT_AUDIENCE: 'backtest-api', JWKS_URL: jwksUrl });
  });

  it.each(adminUserFunctions)('%s keeps tiers in the Users table (no pool to ask) and has no Cognito permission', (path) => {
    const env = envOf(functionAt(synth, path));

    expect(env.USER_DIRECTORY).toBe('users-table');
    expect(env.USER_POOL_ID).toBeUndefined();
    expect(actionsOfRole(synth.service, roleOfFunction(synth.service, path)).filter((a) => a.startsWith('cognito-idp:'))).toEqual([]);
    // The handler builds its dependencies from exactly this environment.
    expect(() => FACTORIES[path](placeholderEnv(functionAt(synth, path)))).not.toThrow();
  });

  it('lets the tier route read and write the tier attribute of the Users profile, and no other route write it', () => {
    const usersId = logicalIdAt(synth.stateful, 'AWS::DynamoDB::Table', 'Tables/Users/');
    const dynamoOn = (path: string) =>
      new Set(
        statementsOfRole(synth.service, roleOfFunction(synth.service, path))
          .filter((s) => JSON.stringify(s.Resource).includes(usersId))
          .flatMap((s) => [s.Action].flat()),
      );

    expect(dynamoOn('HttpApi/AdminTier')).toEqual(new Set(['dynamodb:GetItem', 'dynamodb:UpdateItem']));
    expect(dynamoOn('HttpApi/AdminUser')).toEqual(new Set(['dynamodb:GetItem']));
    // Credits: UpdateItem for the account store, GetItem for reading the tier (the starting credits depend on it).
    expect(dynamoOn('HttpApi/AdminCredits')).toEqual(new Set(['dynamodb:GetItem', 'dynamodb:UpdateItem']));
  });
});

/** `cdk deploy -c faults='{"FAULT_WORKER_CRASH_SYMBOLS":"SYNTH-CRASH","FAULT_POST_GONE_RATE":0.1,...}'` for a demo or test stack. */
describe('fault injection switched on by the faults context', () => {
  const faults = { FAULT_WORKER_CRASH_SYMBOLS: 'SYNTH-CRASH', FAULT_POST_GONE_RATE: 0.1, FAULT_SQS_SEND_FAIL_RATE: '0.25', FAULT_SEED: 42 };
  let synth: SynthResult;
  const faultEnv = (path: string): Record<string, unknown> =>
    Object.fromEntries(Object.entries(envOf(functionAt(synth, path))).filter(([name]) => name.startsWith('FAULT_')));

  beforeAll(() => {
    synth = synthBacktestApp({ context: { faults: JSON.stringify(faults) } });
  });

  it.each(['Workers/Free', 'Workers/Basic', 'Workers/Pro'])('%s gets the worker crash switches and the seed', (path) => {
    expect(faultEnv(path)).toEqual({ FAULT_WORKER_CRASH_SYMBOLS: 'SYNTH-CRASH', FAULT_SEED: '42' });
  });

  it.each(['HttpApi/Submit', 'StuckJobSweeper/Sweeper'])('%s gets the SQS send failure rate and the seed', (path) => {
    expect(faultEnv(path)).toEqual({ FAULT_SQS_SEND_FAIL_RATE: '0.25', FAULT_SEED: '42' });
  });

  it.each(['ProgressStream/Notifier', 'WebSocketApi/Message'])('%s gets the 410 Gone rate and the seed', (path) => {
    expect(faultEnv(path)).toEqual({ FAULT_POST_GONE_RATE: '0.1', FAULT_SEED: '42' });
  });

  it('leaves every other function without a FAULT_* variable', () => {
    const affected = ['Workers/', 'HttpApi/Submit/', 'StuckJobSweeper/', 'ProgressStream/Notifier/', 'WebSocketApi/Message/'];
    const others = [synth.service, synth.stateful]
      .flatMap((t) => Object.values(resources(t, 'AWS::Lambda::Function')))
      .filter((fn) => !affected.some((fragment) => cdkPath(fn).includes(fragment)))
      // CDK's BucketDeployment helper has no environment of ours at all.
      .filter((fn) => !cdkPath(fn).includes('/Custom::CDKBucketDeployment'));

    expect(others.length).toBeGreaterThan(0);
    for (const fn of others) expect(Object.keys(envOf(fn)).filter((name) => name.startsWith('FAULT_')), cdkPath(fn)).toEqual([]);
  });

  it('warns on the service stack, whatever cdk-nag says', () => {
    Annotations.fromStack(synth.stacks.service).hasWarning('*', Match.stringLikeRegexp('FAULT INJECTION IS ON.*FAULT_WORKER_CRASH_SYMBOLS=SYNTH-CRASH'));
  });
});

describe('cdk-nag AwsSolutions checks', () => {
  it('fail synthesis when a resource breaks a rule without an acknowledgment (the checks are really on)', () => {
    const synthWithOpenQueue = () =>
      synthBacktestApp({
        extend: ({ service }) => {
          new sqs.Queue(service, 'UnencryptedQueueWithoutTls', { encryption: sqs.QueueEncryption.UNENCRYPTED });
        },
      });

    expect(synthWithOpenQueue).toThrow(/AwsSolutions-SQS4/);
  });
});
