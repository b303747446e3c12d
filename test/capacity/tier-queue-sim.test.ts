import { describe, expect, it } from 'vitest';
import { erlangC } from '../../bench/capacity/erlang-c.ts';
import { exponential, percentile, simulateTier, type TierSimInput } from '../../bench/capacity/tier-queue-sim.ts';
import { seededRandom } from '../../bench/load-stats.ts';

/** Plain M/M/c: no polling delay, no cold starts. */
function mmc(arrivalsPerSecond: number, meanServiceMs: number, concurrency: number, seed = 7): TierSimInput {
  return {
    arrivalsPerSecond,
    concurrency,
    serviceMs: (r) => exponential(r, meanServiceMs),
    coldStartMs: () => 0,
    keepAliveMs: Number.POSITIVE_INFINITY,
    pollDelayMs: () => 0,
    warmupSeconds: 2_000,
    measureSeconds: 60_000,
    random: seededRandom(seed),
  };
}

describe('simulateTier', () => {
  it.each([
    { lambda: 0.8, serviceMs: 1000, c: 1 },
    { lambda: 4, serviceMs: 2000, c: 10 },
    { lambda: 18, serviceMs: 2500, c: 50 },
  ])('matches Erlang C for M/M/$c at load $lambda x $serviceMs ms', ({ lambda, serviceMs, c }) => {
    // Prepare
    const exact = erlangC(lambda, serviceMs / 1000, c);
    const meanWaitMs = exact.meanWait * 1000;
    // Act
    const sim = simulateTier({ ...mmc(lambda, serviceMs, c), measureSeconds: Math.min(60_000, 400_000 / lambda) });
    // Assess: mean wait within 10 %, the share that waits within 0.03, p95 within 10 % of the closed form.
    expect(sim.meanWaitMs).toBeGreaterThan(meanWaitMs * 0.9);
    expect(sim.meanWaitMs).toBeLessThan(meanWaitMs * 1.1);
    const waited = sim.waitsMs.filter((w) => w > 0).length / sim.jobs;
    expect(Math.abs(waited - exact.probabilityOfWait)).toBeLessThan(0.03);
    const p95 = exact.waitQuantile(0.95) * 1000;
    expect(Math.abs(percentile(sim.waitsMs, 95) - p95)).toBeLessThan(Math.max(0.1 * p95, 50));
    expect(sim.utilisation).toBeGreaterThan(((lambda * serviceMs) / 1000 / c) * 0.95);
    expect(sim.utilisation).toBeLessThan(((lambda * serviceMs) / 1000 / c) * 1.05);
  });

  it('repeats exactly from the same seed, and differs with another', () => {
    const a = simulateTier(mmc(4, 2000, 10, 3));
    const b = simulateTier(mmc(4, 2000, 10, 3));
    const c = simulateTier(mmc(4, 2000, 10, 4));
    expect(a.meanWaitMs).toBe(b.meanWaitMs);
    expect(a.jobs).toBe(b.jobs);
    expect(c.meanWaitMs).not.toBe(a.meanWaitMs);
  });

  it('adds the polling delay to every wait, and a cold start only when an environment was idle past its keep-alive', () => {
    // Prepare: one job every 100 s on average, 10 s keep-alive: nearly every job lands on a reclaimed environment.
    const base = { ...mmc(0.01, 1000, 2), pollDelayMs: () => 50, coldStartMs: () => 300, keepAliveMs: 10_000, warmupSeconds: 0, measureSeconds: 200_000 };
    // Act
    const sparse = simulateTier(base);
    const busy = simulateTier({ ...base, arrivalsPerSecond: 1.5, measureSeconds: 2_000 });
    // Assess
    expect(sparse.waitsMs[0]).toBeGreaterThanOrEqual(50);
    expect(sparse.coldStarts / sparse.jobs).toBeGreaterThan(0.85);
    expect(percentile(sparse.waitsMs, 50)).toBe(350);
    // At 1.5 jobs/s on 2 slots the environments never idle 10 s: only the first use of each slot is cold.
    expect(busy.coldStarts).toBeLessThanOrEqual(2);
    // Billed time counts init for cold starts.
    expect(sparse.billedMs).toBeGreaterThan(sparse.jobs * 1000 * 0.9 + sparse.coldStarts * 300 * 0.99);
  });

  it('waits grow without bound when the offer exceeds the concurrency', () => {
    const over = simulateTier({ ...mmc(3, 1000, 2), warmupSeconds: 0, measureSeconds: 1_000 });
    // 3 jobs/s into 2 jobs/s of capacity: the backlog grows ~1 job/s, so the last arrivals wait ~ 1000 s / 2.
    expect(percentile(over.waitsMs, 95)).toBeGreaterThan(300_000);
    expect(over.utilisation).toBeGreaterThan(0.98);
  });

  it('refuses a concurrency that is not a whole number >= 1', () => {
    expect(() => simulateTier(mmc(1, 1000, 0))).toThrow(/concurrency/);
  });
});

describe('erlangC', () => {
  it('matches the textbook M/M/1 values', () => {
    // rho = 0.8: P(wait) = 0.8, Wq = rho / (mu - lambda) = 0.8 / 0.2 = 4 service times.
    const e = erlangC(0.8, 1, 1);
    expect(e.probabilityOfWait).toBeCloseTo(0.8, 10);
    expect(e.meanWait).toBeCloseTo(4, 10);
  });
  it('matches a tabulated M/M/c value', () => {
    // A = 8 erlangs on 10 servers: Erlang C = 0.4092 (standard tables).
    expect(erlangC(8, 1, 10).probabilityOfWait).toBeCloseTo(0.4092, 3);
  });
  it('refuses an unstable system', () => {
    expect(() => erlangC(2, 1, 2)).toThrow(/unstable/);
  });
});
