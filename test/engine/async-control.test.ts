import { describe, expect, it } from 'vitest';
import { BacktestAbortedError, runBacktest, syntheticSeries } from '../../engine/index.ts';
import type { BacktestSpec } from '../../engine/types.ts';

// About two million 1m bars: long enough that a run spans many event-loop slices.
const bars = syntheticSeries('SYNTH-ASYNC', '1m', Date.UTC(2000, 0, 1), Date.UTC(2019, 0, 1));
const spec: BacktestSpec = { strategyId: 'sma-cross', params: { fast: 10, slow: 30 }, initialCash: 10_000, commission: 0, fractional: true };

describe('cooperative scheduling', () => {
  it('rejects quickly with an AbortError when the signal aborts mid-run', async () => {
    // Prepare
    const controller = new AbortController();
    let abortedAt = 0;
    setTimeout(() => {
      abortedAt = performance.now();
      controller.abort();
    }, 30);
    // Act
    const error = await runBacktest(bars, { ...spec, params: { fast: [5, 10, 20], slow: [30, 60] } }, { signal: controller.signal }).catch((e: unknown) => e);
    const latency = performance.now() - abortedAt;
    // Assess
    expect(abortedAt).toBeGreaterThan(0);
    expect(error).toBeInstanceOf(BacktestAbortedError);
    expect((error as Error).name).toBe('AbortError');
    console.log(`[engine] abort-to-reject latency ${latency.toFixed(1)} ms`);
    expect(latency).toBeLessThan(250); // generous: the machine is shared; the engine yields every ~8 ms
  });

  it('rejects at once when the signal is already aborted', async () => {
    await expect(runBacktest(bars, spec, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(BacktestAbortedError);
  });

  it('keeps the event loop running while it computes', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const t = performance.now();
    await runBacktest(bars, spec);
    const ms = performance.now() - t;
    clearInterval(timer);
    console.log(`[engine] ${ticks} timer ticks during a ${ms.toFixed(0)} ms run of ${bars.length} bars`);
    // A run that never yields would let the timer fire zero times.
    expect(ticks).toBeGreaterThanOrEqual(Math.min(5, Math.floor(ms / 40)));
    expect(ticks).toBeGreaterThan(0);
  });

  it('yields inside a sweep of short combinations (each one chunk), so a mid-sweep abort is honoured', async () => {
    // Prepare: 10,000 combinations over 2,000 daily bars, each combination shorter than one chunk and a fraction of a
    // time slice: the yields must come between combinations. The abort is sent from the first progress report, which
    // the engine only makes when it yields.
    const daily = syntheticSeries('SYNTH-ASYNC-D', '1d', Date.UTC(2010, 0, 1), Date.UTC(2017, 8, 1));
    const controller = new AbortController();
    const reports: number[] = [];
    // Act
    const outcome = await runBacktest(
      daily,
      { ...spec, params: { fast: { from: 2, to: 101, step: 1 }, slow: { from: 102, to: 201, step: 1 } } },
      {
        signal: controller.signal,
        onProgress: (f) => {
          reports.push(f);
          controller.abort();
        },
      },
    ).catch((e: unknown) => e);
    // Assess
    expect(daily.length).toBeGreaterThan(1900);
    expect(reports.length).toBe(1);
    expect(reports[0]).toBeLessThan(0.5); // from between combinations, not from the top rows' re-runs at the end
    expect(outcome).toBeInstanceOf(BacktestAbortedError);
  });

  it('reports progress monotonically, at a bounded rate, ending with 1', async () => {
    for (const s of [spec, { ...spec, params: { fast: [5, 10], slow: [20, 40] } }]) {
      const calls: number[] = [];
      const t = performance.now();
      await runBacktest(bars, s, { onProgress: (f) => calls.push(f) });
      const ms = performance.now() - t;
      expect(calls.at(-1)).toBe(1);
      expect(calls.length).toBeGreaterThan(1);
      for (let i = 1; i < calls.length; i++) expect(calls[i]).toBeGreaterThan(calls[i - 1]);
      expect(calls.every((f) => f >= 0 && f <= 1)).toBe(true);
      expect(calls.length).toBeLessThanOrEqual(Math.ceil(ms / 50) + 2); // at most ~20 per second
    }
  });
});
