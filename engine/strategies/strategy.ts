import * as z from '../zod-mini.ts';
import type { Executor } from '../execution.ts';
import type { IndicatorKernel } from '../indicators.ts';
import type { BarSeries } from '../types.ts';

/**
 * Signal codes a strategy writes per bar (evaluated on that bar's close; the executor acts at the next open).
 * LONG / SHORT / FLAT set the target position; EXIT_* flatten only a position on that side.
 */
export const NONE = 0;
export const LONG = 1;
export const SHORT = 2;
export const FLAT = 3;
export const EXIT_LONG = 4;
export const EXIT_SHORT = 5;

export type ScalarParams = Record<string, number | boolean>;

export interface ParamInfo {
  type: 'integer' | 'number' | 'boolean';
  default?: number | boolean;
  min?: number;
  max?: number;
  description: string;
}

/** An indicator a strategy needs; `key` identifies it in the sweep cache, so equal keys must mean equal arrays. */
export interface IndicatorRequest {
  key: string;
  make(bars: BarSeries): IndicatorKernel;
}

/** Fills `out[from..to)` with signal codes; called over consecutive ranges from 0, every index written. */
export type SignalKernel = (from: number, to: number) => void;

export interface StrategyDefinition {
  id: string;
  description: string;
  params: Record<string, ParamInfo>;
  /** Cross-parameter rules (e.g. fast < slow); a sweep skips combinations that break one. */
  rules: ParamRule[];
  /** Scalar parameters, defaults applied, unknown keys rejected, cross-parameter rules checked. */
  schema: z.ZodMiniType<ScalarParams>;
  /** Index of the first bar on which a signal can occur; a series needs at least warmup + 2 bars to trade. */
  warmup(p: ScalarParams): number;
  /** The indicators a combination needs; `bars` lets a strategy pick an exact form for the series (e.g. tick sums). */
  indicators(p: ScalarParams, bars: BarSeries): IndicatorRequest[];
  signals(bars: BarSeries, indicators: Float64Array[][], p: ScalarParams, out: Int8Array): SignalKernel;
  /**
   * Optional one-pass form for a single run, where no indicator is reused: computes the signals from the bars and
   * hands each one to `exec` (`act`, `mark`, `endOfData`) itself, marking every bar, instead of filling arrays for
   * `signals` and the executor. It must give exactly the trades and equity of `indicators` + `signals` + the executor.
   * Returns undefined when it does not apply to these bars (the engine then takes the array path).
   */
  direct?(bars: BarSeries, p: ScalarParams, exec: Executor): SignalKernel | undefined;
}

/**
 * The schema of one scalar value of a parameter (no default). Its messages are plain sentences naming the parameter
 * and the value given ("fast must be a whole number, got 2.5"), not zod's generic "Invalid input: expected int".
 */
export function scalarSchema(info: ParamInfo, name = 'the value'): z.ZodMiniType<number | boolean> {
  const got = (input: unknown): string => (typeof input === 'number' ? String(input) : JSON.stringify(input) ?? String(input));
  if (info.type === 'boolean') return z.boolean({ error: (iss) => `${name} must be true or false, got ${got(iss.input)}` });
  const checks: z.core.$ZodCheck<number>[] = [];
  if (info.type === 'integer') checks.push(z.int({ error: (iss) => `${name} must be a whole number, got ${got(iss.input)}` }));
  const { min, max } = info;
  if (min !== undefined) checks.push(z.gte(min, { error: (iss) => `${name} must be at least ${min}, got ${got(iss.input)}` }));
  if (max !== undefined) checks.push(z.lte(max, { error: (iss) => `${name} must be at most ${max}, got ${got(iss.input)}` }));
  const num = z.number({ error: (iss) => `${name} must be a number, got ${got(iss.input)}` });
  return checks.length > 0 ? num.check(...checks) : num;
}

/** Builds the zod schema from the declarative parameter table, so `listStrategies` and validation cannot drift. */
export interface ParamRule {
  check: (p: ScalarParams) => boolean;
  message: string;
  /** The parameter the error is reported on. */
  path: string;
}

export function schemaFor(params: Record<string, ParamInfo>, rules: ParamRule[] = []): z.ZodMiniType<ScalarParams> {
  const shape: Record<string, z.ZodMiniType> = {};
  for (const [name, info] of Object.entries(params)) {
    const scalar = scalarSchema(info, name);
    shape[name] = info.default === undefined ? scalar : z._default(scalar, info.default);
  }
  let schema: z.ZodMiniType<ScalarParams> = z.strictObject(shape) as unknown as z.ZodMiniType<ScalarParams>;
  for (const rule of rules) {
    schema = schema.check(z.refine((p: ScalarParams) => rule.check(p), { message: rule.message, path: [rule.path] }));
  }
  return schema;
}

export const periodParam = (def: number, description: string, min = 1): ParamInfo => ({
  type: 'integer',
  default: def,
  min,
  max: 100_000,
  description,
});

export const allowShortParam: ParamInfo = {
  type: 'boolean',
  default: false,
  description: 'also take short positions: always in the market once the first signal fires',
};

/**
 * Strict crossover signals shared by the two-line strategies: an up-cross (a[t-1] < b[t-1] and a[t] > b[t], both
 * bars defined; NaN compares false) goes long, a down-cross goes short with allowShort, else flat.
 */
export function crossSignals(a: Float64Array, b: Float64Array, allowShort: boolean, out: Int8Array): SignalKernel {
  const down = allowShort ? SHORT : FLAT;
  return (from, to) => {
    // Clear the range at memset speed and write only the crosses: a store per bar cost more than the test itself.
    out.fill(NONE, from, to);
    const start = from === 0 ? 1 : from;
    let d0 = a[start - 1] - b[start - 1];
    for (let t = start; t < to; t++) {
      const d1 = a[t] - b[t];
      // Strictly opposite signs (NaN compares false): one rarely-true branch instead of two unpredictable ones. The
      // product cannot underflow to 0 for real prices: |d| is at least an ulp of the average (~1e-16 of the price).
      if (d0 * d1 < 0) out[t] = d1 > 0 ? LONG : down;
      d0 = d1;
    }
  };
}
