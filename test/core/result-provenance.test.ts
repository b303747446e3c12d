import { describe, expect, it } from 'vitest';
import { barsFingerprint, ENGINE_VERSION } from '../../engine/fingerprint.ts';
import { barsFromArrays, sliceByTime, syntheticSeries } from '../../engine/index.ts';
import { requestRangeMs } from '../../lambdas/core/use-cases/backtest-spec.ts';
import { jobView } from '../../lambdas/core/use-cases/job-view.ts';
import { processJob } from '../../lambdas/core/use-cases/process-job.ts';
import { submitBacktest } from '../../lambdas/core/use-cases/submit-backtest.ts';
import { principal, submitBody, world } from './support.ts';

describe('every result records the engine version and the fingerprint of its bars', () => {
  it('a processed job stores them, equal to the fingerprint of exactly the bars of its dates, and its view shows them', async () => {
    const w = world();
    for (const params of [{ fast: 10, slow: 30 }, { fast: [5, 10], slow: [30, 40] }]) {
      const body = submitBody({ params });
      const { jobId } = await submitBacktest(principal('alice', 'pro'), body, undefined, w);
      await processJob(w.queue.messages.pro.shift(), 1, { jobs: w.jobs, marketData: w.marketData, clock: w.clock, queue: w.queue, random: () => 0 });
      const job = (await w.jobs.get(jobId))!;
      const { startMs, endMs } = requestRangeMs(body as { startDate: string; endDate: string });
      const bars = sliceByTime(syntheticSeries('SYNTH-A', '1d', Date.UTC(2000, 0, 1), Date.UTC(2023, 11, 31)), startMs, endMs);
      expect(job.result!.provenance).toEqual({ engineVersion: ENGINE_VERSION, barsSha256: barsFingerprint(bars) });
      expect(jobView(job).result!.provenance).toEqual(job.result!.provenance);
    }
  });

  it('the fingerprint changes with one price, one bar more or a shifted time, and not with a copy', () => {
    const series = syntheticSeries('SYNTH-A', '1d', Date.UTC(2020, 0, 1), Date.UTC(2020, 11, 31));
    const cols = () => ({
      time: Array.from(series.time),
      open: Array.from(series.open),
      high: Array.from(series.high),
      low: Array.from(series.low),
      close: Array.from(series.close),
      volume: Array.from(series.volume),
    });
    const base = barsFingerprint(series);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(barsFingerprint(barsFromArrays(cols()))).toBe(base);
    const price = cols();
    price.close[100] += 0.01;
    expect(barsFingerprint(barsFromArrays(price))).not.toBe(base);
    const time = cols();
    time.time[0] -= 1;
    expect(barsFingerprint(barsFromArrays(time))).not.toBe(base);
    expect(barsFingerprint(sliceByTime(series, series.time[1]))).not.toBe(base);
  });
});
