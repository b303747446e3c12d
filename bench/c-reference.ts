import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBacktest, type BacktestSpec, type BarSeries } from '../engine/index.ts';
import { closePrecisionOf } from '../engine/precision.ts';
import { smaCrossLoop } from './reference/sma-cross-loop.ts';

export type CReferenceResult =
  | { kind: 'skipped'; reason: string }
  | {
      kind: 'ran';
      trades: number;
      equityFinal: number;
      bestMs: number;
      medianMs: number;
      engineTrades: number;
      engineEquityFinal: number;
      same: boolean;
      /** The same loop transcribed into JavaScript (bench/reference/sma-cross-loop.ts), timed on the main thread's CPU. */
      js: { bestMs: number; medianMs: number; same: boolean };
    };

/**
 * The C reference (bench/reference/sma-cross.c): the same long-only sma-cross with the engine's semantics as a plain
 * loop, compiled here with `cc -O3` and run on the same bars, so a ratio is of two measurements taken side by side.
 * Also runs the engine once on the same spec and says whether the trades and the final equity are identical.
 * Skipped, with the reason, when there is no C compiler or the spec is not what the reference implements.
 */
export async function runCReference(bars: BarSeries, spec: BacktestSpec, repeats: number): Promise<CReferenceResult> {
  const { fast, slow } = spec.params;
  if (spec.strategyId !== 'sma-cross' || typeof fast !== 'number' || typeof slow !== 'number' || spec.params.allowShort === true) {
    return { kind: 'skipped', reason: 'the reference implements long-only sma-cross with fixed periods only' };
  }
  if (spec.fractional !== true || (spec.slippageBps ?? 0) !== 0 || (spec.sizing ?? 'all-in') !== 'all-in') {
    return { kind: 'skipped', reason: 'the reference implements all-in fractional sizing without slippage only' };
  }
  const precision = closePrecisionOf(bars);
  if (precision === null) return { kind: 'skipped', reason: 'the closes have no decimal precision (the engine then takes its other path)' };
  const dir = mkdtempSync(join(tmpdir(), 'bench-c-'));
  try {
    const binary = join(dir, 'sma-cross');
    try {
      // No fused multiply-add: every product rounds as it does in JavaScript.
      execFileSync('cc', ['-O3', '-ffp-contract=off', '-o', binary, join(import.meta.dirname, 'reference', 'sma-cross.c'), '-lm'], { stdio: 'pipe' });
    } catch (error) {
      return { kind: 'skipped', reason: `no working C compiler (cc): ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
    }
    const data = new Float64Array(2 * bars.length);
    data.set(bars.open, 0);
    data.set(bars.close, bars.length);
    const file = join(dir, 'bars.f64');
    writeFileSync(file, new Uint8Array(data.buffer));
    const args = [file, String(bars.length), String(fast), String(slow), String(precision.scale), String(spec.commission), String(spec.initialCash), String(repeats)];
    const out = JSON.parse(execFileSync(binary, args, { encoding: 'utf8' })) as { trades: number; equityFinal: number; bestMs: number; medianMs: number };
    const engine = await runBacktest(bars, spec);
    const js = timeLoop(bars, fast, slow, precision.scale, spec.commission, spec.initialCash, repeats);
    return {
      kind: 'ran',
      ...out,
      js: { bestMs: js.bestMs, medianMs: js.medianMs, same: js.result.trades === out.trades && js.result.equityFinal === out.equityFinal },
      engineTrades: engine.stats.trades,
      engineEquityFinal: engine.stats.equityFinal,
      same: engine.stats.trades === out.trades && engine.stats.equityFinal === out.equityFinal,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Times the transcribed loop as the engine is timed: one untimed warm-up run, then `repeats` runs on thread CPU. */
function timeLoop(bars: BarSeries, fast: number, slow: number, scale: number, comm: number, cash: number, repeats: number) {
  let result = smaCrossLoop(bars.open, bars.close, bars.length, fast, slow, scale, comm, cash);
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = process.threadCpuUsage();
    result = smaCrossLoop(bars.open, bars.close, bars.length, fast, slow, scale, comm, cash);
    const t = process.threadCpuUsage(t0);
    times.push((t.user + t.system) / 1000);
  }
  times.sort((a, b) => a - b);
  return { result, bestMs: times[0], medianMs: times[Math.floor(repeats / 2)] };
}
