import { syntheticSeries } from '../../engine/index.ts';
import type { Principal } from '../../lambdas/core/principal.ts';
import type { Tier } from '../../lambdas/core/tiers.ts';
import { InMemoryConnectionStore, InMemoryJobQueue, InMemoryJobRepository, InMemoryMarketData, ManualClock, RecordingClientPush } from '../support/fakes/index.ts';

export function principal(userId = 'alice', tier: Tier = 'free', admin = false): Principal {
  return { userId, tier, admin };
}

/** A valid submit body on synthetic data (about 2,600 daily bars). */
export function submitBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { strategyId: 'sma-cross', params: { fast: 10, slow: 30 }, symbol: 'SYNTH-A', timeframe: '1d', startDate: '2010-01-01', endDate: '2019-12-31', ...overrides };
}

/** Fakes wired together, with SYNTH-A and SYNTH-B daily bars for 2000-2023 loaded from the engine's generator. */
export function world() {
  const clock = new ManualClock('2024-03-01T12:00:00.000Z');
  const jobs = new InMemoryJobRepository();
  const queue = new InMemoryJobQueue();
  const connections = new InMemoryConnectionStore();
  const push = new RecordingClientPush();
  const marketData = new InMemoryMarketData();
  const start = Date.UTC(2000, 0, 1);
  const end = Date.UTC(2023, 11, 31);
  marketData.add('SYNTH-A', '1d', syntheticSeries('SYNTH-A', '1d', start, end));
  marketData.add('SYNTH-B', '1d', syntheticSeries('SYNTH-B', '1d', start, end));
  let n = 0;
  const newJobId = () => `job-${String(++n).padStart(4, '0')}`;
  return { clock, jobs, queue, connections, push, marketData, newJobId };
}
