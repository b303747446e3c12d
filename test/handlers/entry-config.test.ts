import { describe, expect, it } from 'vitest';
import { ConfigurationError, envSchemas, parseEnv } from '../../lambdas/handlers/shared/env.ts';
import { adminQueuesDependencies, workerDependencies } from '../../lambdas/handlers/shared/dependencies.ts';
import { TIER_SETTINGS } from '../../lambdas/core/tiers.ts';

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

  describe('TIER_CONCURRENCY of the admin queue view', () => {
    const adminEnv = {
      JOBS_TABLE: 'j', USERS_TABLE: 'u', AWS_REGION: 'us-east-1',
      QUEUE_URL_FREE: 'http://127.0.0.1:1/q/free', QUEUE_URL_BASIC: 'http://127.0.0.1:1/q/basic', QUEUE_URL_PRO: 'http://127.0.0.1:1/q/pro',
      DLQ_URL_FREE: 'http://127.0.0.1:1/q/free-dlq', DLQ_URL_BASIC: 'http://127.0.0.1:1/q/basic-dlq', DLQ_URL_PRO: 'http://127.0.0.1:1/q/pro-dlq',
    };
    const concurrencyOf = (env: NodeJS.ProcessEnv) => Object.fromEntries(Object.entries(adminQueuesDependencies(env).tiers).map(([t, s]) => [t, s.maxConcurrency]));

    it('reports the deployed concurrency, and the tier table where it is absent', () => {
      expect(concurrencyOf({ ...adminEnv, TIER_CONCURRENCY: '{"free":3,"basic":12,"pro":80}' })).toEqual({ free: 3, basic: 12, pro: 80 });
      expect(concurrencyOf({ ...adminEnv, TIER_CONCURRENCY: '{"pro":7}' })).toEqual({ free: TIER_SETTINGS.free.maxConcurrency, basic: TIER_SETTINGS.basic.maxConcurrency, pro: 7 });
      expect(concurrencyOf(adminEnv)).toEqual({ free: TIER_SETTINGS.free.maxConcurrency, basic: TIER_SETTINGS.basic.maxConcurrency, pro: TIER_SETTINGS.pro.maxConcurrency });
    });

    it.each(['free=3', '{"pro":1}', '{"pro":2.5}', '{"gold":4}', '[5,20,50]'])('refuses %s naming TIER_CONCURRENCY', (value) => {
      expect(() => adminQueuesDependencies({ ...adminEnv, TIER_CONCURRENCY: value })).toThrow(/TIER_CONCURRENCY/);
    });
  });
});
