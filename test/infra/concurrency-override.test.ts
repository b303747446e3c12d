import { beforeAll, describe, expect, it } from 'vitest';
import { TIER_SETTINGS } from '../../lambdas/core/tiers.ts';
import { synthBacktestApp, type SynthResult } from './support/synth-app.ts';
import { logicalIdAt, mentions, resources } from './support/template-queries.ts';

/** What `cdk synth -c concurrency='{"free":3,"basic":12}' -c concurrency.pro=80` produces. */
describe('concurrency overridden by CDK context', () => {
  let synth: SynthResult;
  const settingsOf = (name: 'Free' | 'Basic' | 'Pro') => {
    const queueId = logicalIdAt(synth.service, 'AWS::SQS::Queue', `JobQueues/${name}Queue/`);
    const mapping = Object.values(resources(synth.service, 'AWS::Lambda::EventSourceMapping')).find((m) => mentions(m.Properties?.EventSourceArn, queueId));
    const fn = resources(synth.service, 'AWS::Lambda::Function')[logicalIdAt(synth.service, 'AWS::Lambda::Function', `Workers/${name}/Function/`)];
    return {
      mapping: (mapping?.Properties?.ScalingConfig as { MaximumConcurrency: number }).MaximumConcurrency,
      reserved: fn.Properties?.ReservedConcurrentExecutions,
      memory: fn.Properties?.MemorySize,
    };
  };

  beforeAll(() => {
    synth = synthBacktestApp({ context: { concurrency: '{"free":3,"basic":12}', 'concurrency.pro': '80' } });
  });

  it('sets both the mapping maxConcurrency and the reserved concurrency from the override', () => {
    expect(settingsOf('Free')).toEqual({ mapping: 3, reserved: 3, memory: TIER_SETTINGS.free.workerMemoryMb });
    expect(settingsOf('Basic')).toEqual({ mapping: 12, reserved: 12, memory: TIER_SETTINGS.basic.workerMemoryMb });
    expect(settingsOf('Pro')).toEqual({ mapping: 80, reserved: 80, memory: TIER_SETTINGS.pro.workerMemoryMb });
  });
});
