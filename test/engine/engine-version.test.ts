import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listStrategies, parseCsv, runBacktest, syntheticSeries, type BacktestSpec, type BarSeries } from '../../engine/index.ts';
import { ENGINE_VERSION } from '../../engine/fingerprint.ts';

/**
 * ENGINE_VERSION must change whenever any number the engine computes changes (a stored result and a leaderboard entry
 * say which arithmetic made them: docs/leaderboard.md). This test makes that hard to forget: it digests everything a
 * fixed set of runs returns (stats, every trade, the curve, sweep rows and grid; numbers as their shortest round-trip
 * text, so one changed bit changes the digest) and holds the digest to the one recorded for the current version.
 *
 * When it fails after a change that was meant to keep every result: the change is not bit-identical, find out why.
 * When the change is meant to move numbers: bump ENGINE_VERSION in engine/fingerprint.ts, add a dated entry to
 * docs/decisions.md saying what moved and by how much, and record the new digest below under the new version.
 *
 * The digest is exact on x86-64, where it was recorded (CI runs there). V8's libm-style functions (exp, log, pow)
 * are its own fdlibm ports, but a C++ compiler may fuse multiply-adds inside them on other processors (arm64), which
 * can move a last bit; there the runs are digested rounded to 12 significant digits instead.
 */
const RECORDED: Record<string, { exact: string; rounded: string }> = {
  '1.1.0': { exact: 'b23c0e84b386dc50dd32c5449e6fa3338f693cc90757b3994b3b82e05dc91339', rounded: '9c0d661a85762084dcf9d0a736e63e43b6a437470b18393b88f19bfa1fe0560b' },
};

const DATA = join(import.meta.dirname, '..', '..', 'examples', 'data');
const csv = (file: string): BarSeries => parseCsv(readFileSync(join(DATA, file), 'utf8'), { source: file });

function cases(): { label: string; bars: BarSeries; spec: BacktestSpec }[] {
  const orcl = csv('ORCL-1d.csv');
  const eurusd = csv('EURUSD-1h.csv');
  const minutes = syntheticSeries('SYNTH-VERSION', '5m', Date.UTC(2021, 0, 4), Date.UTC(2021, 1, 15));
  const base = { initialCash: 10_000, commission: 0.001 };
  const out: { label: string; bars: BarSeries; spec: BacktestSpec }[] = [];
  // Every strategy with its defaults, long-only and (where it can) with shorts, on daily and hourly data.
  for (const s of listStrategies()) {
    for (const [name, bars] of [['ORCL-1d', orcl], ['EURUSD-1h', eurusd]] as const) {
      out.push({ label: `${s.id} ${name}`, bars, spec: { strategyId: s.id, params: {}, ...base } });
      if ('allowShort' in s.params) out.push({ label: `${s.id} ${name} short`, bars, spec: { strategyId: s.id, params: { allowShort: true }, ...base } });
    }
  }
  // Costs and sizing other than the defaults, intraday data with days and weekends, and sweeps ranked several ways.
  out.push({ label: 'sizing', bars: orcl, spec: { strategyId: 'sma-cross', params: { fast: 5, slow: 40 }, ...base, slippageBps: 7, sizing: { fraction: 0.4 }, fractional: true } });
  out.push({ label: 'units', bars: minutes, spec: { strategyId: 'sma-cross', params: { fast: 12, slow: 48, allowShort: true }, ...base, sizing: { units: 3 } } });
  for (const metric of ['sharpe', 'sortino', 'calmar', 'returnPct', 'maxDrawdownPct', 'avgTradePct'] as const) {
    out.push({ label: `sweep ${metric}`, bars: orcl, spec: { strategyId: 'sma-cross', params: { fast: { from: 3, to: 21, step: 3 }, slow: { from: 30, to: 90, step: 15 } }, ...base, sweep: { metric, top: 5 } } });
  }
  // A run whose risk measures moved in their last bits with 1.1.0 (the log growth as one log): without it the digest
  // would not have told 1.0.0 from 1.1.0.
  const hourly = syntheticSeries('SYNTH-1', '1h', Date.UTC(2015, 0, 1), Date.UTC(2016, 0, 1));
  out.push({ label: 'hourly shorts', bars: hourly, spec: { strategyId: 'sma-cross', params: { fast: 10, slow: 30, allowShort: true }, ...base } });
  out.push({ label: 'sweep intraday', bars: eurusd, spec: { strategyId: 'ema-cross', params: { fast: { from: 4, to: 12, step: 4 }, slow: { from: 20, to: 40, step: 10 } }, ...base, sweep: { metric: 'sharpe', top: 3 } } });
  return out;
}

/** JSON with NaN and the infinities spelled out (JSON.stringify would write null for all three). */
function text(value: unknown, round: boolean): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'number') return v;
    if (!Number.isFinite(v)) return String(v);
    return round ? Number(v.toPrecision(12)) : v;
  });
}

describe('ENGINE_VERSION', () => {
  it('is bumped whenever a computed number changes (a digest of fixed runs is recorded per version)', async () => {
    const exact = createHash('sha256');
    const rounded = createHash('sha256');
    for (const { label, bars, spec } of cases()) {
      const result = await runBacktest(bars, spec);
      exact.update(`${label}\n${text(result, false)}\n`);
      rounded.update(`${label}\n${text(result, true)}\n`);
    }
    const digest = { exact: exact.digest('hex'), rounded: rounded.digest('hex') };
    const recorded = RECORDED[ENGINE_VERSION];
    expect(recorded, `no digest recorded for ENGINE_VERSION ${ENGINE_VERSION}: add ${JSON.stringify(digest)}`).toBeDefined();
    const [got, want] = process.arch === 'x64' ? [digest.exact, recorded.exact] : [digest.rounded, recorded.rounded];
    expect(got, `the engine's output changed without a new ENGINE_VERSION (digests now ${JSON.stringify(digest)}); see this file's comment`).toBe(want);
  });
});
