import { describe, expect, it } from 'vitest';
import { InvalidContextError, readAppConfig } from '../../lib/app-config.ts';
import { TIER_SETTINGS } from '../../lambdas/core/tiers.ts';

const reader = (context: Record<string, unknown>) => (key: string) => context[key];

describe('readAppConfig', () => {
  it('uses the tier table when no context is given', () => {
    const config = readAppConfig(reader({}));

    expect(config.tiers.free.maxConcurrency).toBe(TIER_SETTINGS.free.maxConcurrency);
    expect(config.tiers.pro.maxConcurrency).toBe(TIER_SETTINGS.pro.maxConcurrency);
    expect(config.externalJwt).toBeUndefined();
    expect(config.stackPrefix).toBe('Backtest');
  });

  it('accepts concurrency as the JSON string -c passes', () => {
    const config = readAppConfig(reader({ concurrency: '{"free":6,"basic":21,"pro":51}' }));

    expect([config.tiers.free, config.tiers.basic, config.tiers.pro].map((t) => t.maxConcurrency)).toEqual([6, 21, 51]);
  });

  it('accepts concurrency as an object (cdk.json) and a dotted key per tier, the dotted key winning', () => {
    const config = readAppConfig(reader({ concurrency: { basic: 30 }, 'concurrency.pro': '80' }));

    expect(config.tiers.free.maxConcurrency).toBe(TIER_SETTINGS.free.maxConcurrency);
    expect(config.tiers.basic.maxConcurrency).toBe(30);
    expect(config.tiers.pro.maxConcurrency).toBe(80);
    // Only concurrency is overridable; memory and the rest still come from the tier table.
    expect(config.tiers.pro.workerMemoryMb).toBe(TIER_SETTINGS.pro.workerMemoryMb);
  });

  it.each([
    [{ concurrency: 'pro=50' }, 'concurrency'],
    [{ concurrency: '{"gold":5}' }, 'concurrency'],
    [{ 'concurrency.pro': 'lots' }, 'concurrency.pro'],
    [{ 'concurrency.free': '1' }, 'concurrency'],
    [{ jwtIssuer: 'https://issuer.example.com' }, 'jwtAudience'],
    [{ jwtAudience: 'client' }, 'jwtIssuer'],
    [{ jwtIssuer: 'not a url', jwtAudience: 'x' }, 'jwtIssuer'],
    [{ logRetentionDays: '10' }, 'logRetentionDays'],
    [{ mfa: 'sometimes' }, 'mfa'],
    [{ faults: 'FAULT_SEED=1' }, 'faults'],
    [{ faults: '{"FAULT_POST_GONE_RATE":"lots"}' }, 'faults'],
    [{ faults: '{"FAULT_POST_GONE_RATE":1.5}' }, 'faults'],
    [{ faults: '{"FAULT_WORKER_CRASH":0.5}' }, 'faults'],
  ])('rejects %j naming the key %s', (context, key) => {
    let caught: unknown;
    try {
      readAppConfig(reader(context));
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(InvalidContextError);
    expect((caught as InvalidContextError).key).toBe(key);
    expect((caught as Error).message).toContain(`"${key}"`);
  });

  it('turns fault injection on only when the faults context sets it, as strings the functions parse', () => {
    const none = readAppConfig(reader({}));
    const fromCli = readAppConfig(reader({ faults: '{"FAULT_WORKER_CRASH_RATE":0.3,"FAULT_SEED":7}' }));
    const fromCdkJson = readAppConfig(reader({ faults: { FAULT_WORKER_CRASH_SYMBOLS: 'SYNTH-CRASH' } }));

    expect(none.faults).toEqual({});
    expect(fromCli.faults).toEqual({ FAULT_WORKER_CRASH_RATE: '0.3', FAULT_SEED: '7' });
    expect(fromCdkJson.faults).toEqual({ FAULT_WORKER_CRASH_SYMBOLS: 'SYNTH-CRASH' });
  });

  it('derives the JWKS URL from an external issuer unless one is given', () => {
    const derived = readAppConfig(reader({ jwtIssuer: 'https://login.example.com/realm/', jwtAudience: 'backtest' }));
    const explicit = readAppConfig(
      reader({ jwtIssuer: 'https://login.example.com', jwtAudience: 'backtest', jwksUrl: 'https://login.example.com/keys' }),
    );

    expect(derived.externalJwt).toEqual({
      issuer: 'https://login.example.com/realm/',
      audience: 'backtest',
      jwksUrl: 'https://login.example.com/realm/.well-known/jwks.json',
    });
    expect(explicit.externalJwt?.jwksUrl).toBe('https://login.example.com/keys');
  });
});
