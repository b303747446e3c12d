import { describe, expect, it } from 'vitest';
import { ConfigurationError, envSchemas, parseEnv } from '../../lambdas/handlers/shared/env.ts';
import { workerDependencies } from '../../lambdas/handlers/shared/dependencies.ts';

describe('environment at cold start', () => {
  it('throws a ConfigurationError naming every missing variable', () => {
    expect(() => parseEnv(envSchemas.queues, { QUEUE_URL_FREE: 'https://q/free' })).toThrow(/QUEUE_URL_BASIC.*QUEUE_URL_PRO/);
    expect(() => workerDependencies({ JOBS_TABLE: 'j', USERS_TABLE: 'u' })).toThrow(ConfigurationError);
  });

  it('builds the worker from a complete env (CSV folder locally) without touching the network', () => {
    const deps = workerDependencies({
      JOBS_TABLE: 'j', USERS_TABLE: 'u', TIER: 'pro', DATA_DIR: '/tmp',
      QUEUE_URL_FREE: 'http://127.0.0.1:1/q/free', QUEUE_URL_BASIC: 'http://127.0.0.1:1/q/basic', QUEUE_URL_PRO: 'http://127.0.0.1:1/q/pro',
      AWS_REGION: 'us-east-1',
    });
    expect(deps.tier).toBe('pro');
  });

  it('refuses a worker without any market data source', () => {
    expect(() => parseEnv(envSchemas.marketData, {})).toThrow(/MARKET_DATA_BUCKET/);
  });
});
