import * as z from './zod-mini.ts';
import { EngineInputError, type InputIssue } from './errors.ts';
import type { ExecutionConfig } from './execution.ts';
import { METRIC_KEYS, type MetricKey } from './stats.ts';
import { getStrategy, STRATEGIES } from './strategies/registry.ts';
import { scalarSchema, type ScalarParams, type StrategyDefinition } from './strategies/strategy.ts';
import { TIMEFRAMES, type BacktestSpec, type ParamRange, type Timeframe } from './types.ts';

/** Largest parameter grid a single job may run (a sweep over more combinations is refused at submit). */
export const MAX_COMBINATIONS = 10_000;
/** Largest `sweep.top`. */
export const MAX_TOP = 100;

export interface BacktestPlan {
  strategy: StrategyDefinition;
  /** Valid concrete parameter sets in grid order (last parameter varies fastest). */
  combinations: ScalarParams[];
  /** The parameters given in the spec, each with its candidate values in grid order (one value when not swept). */
  axes: { name: string; values: (number | boolean)[] }[];
  isSweep: boolean;
  execution: ExecutionConfig;
  timeframe: Timeframe;
  metric: MetricKey;
  top: number;
}

const baseSchema = z.object({
  strategyId: z.string().check(z.minLength(1, 'required')),
  params: z._default(z.record(z.string(), z.unknown()), {}),
  initialCash: z.number().check(z.positive()),
  commission: z.number().check(z.gte(0), z.lt(1)),
  slippageBps: z._default(z.number().check(z.gte(0), z.lt(10_000)), 0),
  sizing: z._default(z.unknown(), 'all-in'),
  fractional: z._default(z.boolean(), false),
  timeframe: z._default(z.enum(TIMEFRAMES), '1d'),
  sweep: z._default(
    z.object({
      metric: z._default(z.enum(METRIC_KEYS), 'sharpe'),
      top: z._default(z.number().check(z.int(), z.gte(1), z.lte(MAX_TOP)), 10),
    }),
    { metric: 'sharpe', top: 10 },
  ),
});

function zodIssues(error: z.core.$ZodError, prefix: string): InputIssue[] {
  return error.issues.map((i) => ({
    path: [prefix, ...i.path.map(String)].filter((s) => s !== '').join('.') || 'spec',
    message: i.message,
  }));
}

function isRange(v: unknown): v is ParamRange {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && ('from' in v || 'to' in v || 'step' in v);
}

/** Expands one parameter's value to the list of candidates, or reports why it cannot. */
function expandParam(name: string, value: unknown, kind: string, issues: InputIssue[]): { values: (number | boolean)[]; sweep: boolean } | undefined {
  const path = `params.${name}`;
  if (Array.isArray(value)) {
    if (kind === 'boolean') {
      issues.push({ path, message: 'a boolean parameter takes a single true or false, not a list' });
      return undefined;
    }
    if (value.length === 0) {
      issues.push({ path, message: 'an empty list of values' });
      return undefined;
    }
    if (value.length > MAX_COMBINATIONS) {
      issues.push({ path, message: `${value.length} values is more than MAX_COMBINATIONS (${MAX_COMBINATIONS})` });
      return undefined;
    }
    const bad = value.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
    if (bad >= 0) {
      issues.push({ path: `${path}.${bad}`, message: 'expected a finite number' });
      return undefined;
    }
    return { values: [...new Set(value as number[])], sweep: true };
  }
  if (isRange(value)) {
    if (kind === 'boolean') {
      issues.push({ path, message: 'a boolean parameter takes a single true or false, not a range' });
      return undefined;
    }
    const parsed = z.strictObject({ from: z.number(), to: z.number(), step: z.number().check(z.positive()) }).safeParse(value);
    if (!parsed.success) {
      issues.push(...zodIssues(parsed.error, path));
      return undefined;
    }
    const { from, to, step } = parsed.data;
    if (from > to) {
      issues.push({ path: `${path}.to`, message: `range end ${to} is below its start ${from}` });
      return undefined;
    }
    // A small tolerance so that 0.1:0.5:0.1 includes 0.5 despite binary rounding.
    const count = Math.floor((to - from) / step + 1e-9) + 1;
    if (count > MAX_COMBINATIONS) {
      issues.push({ path, message: `range has ${count} values, more than MAX_COMBINATIONS (${MAX_COMBINATIONS})` });
      return undefined;
    }
    const values: number[] = [];
    for (let i = 0; i < count; i++) values.push(Number((from + i * step).toPrecision(12)));
    return { values, sweep: true };
  }
  if (typeof value === 'number' || typeof value === 'boolean') return { values: [value], sweep: false };
  issues.push({ path, message: 'expected a number, a boolean, a list of numbers or {from, to, step}' });
  return undefined;
}

function sizingConfig(sizing: unknown, fractional: boolean, issues: InputIssue[]): ExecutionConfig['sizing'] {
  if (sizing === 'all-in') return 'all-in';
  if (typeof sizing === 'object' && sizing !== null && !Array.isArray(sizing)) {
    const keys = Object.keys(sizing);
    const s = sizing as Record<string, unknown>;
    if (keys.length === 1 && keys[0] === 'units') {
      const u = s.units;
      if (typeof u !== 'number' || !Number.isFinite(u) || u <= 0) issues.push({ path: 'sizing.units', message: 'expected a positive number' });
      else if (!fractional && !Number.isInteger(u)) issues.push({ path: 'sizing.units', message: 'must be a whole number unless fractional is true' });
      else return { units: u };
      return 'all-in';
    }
    if (keys.length === 1 && keys[0] === 'fraction') {
      const f = s.fraction;
      if (typeof f !== 'number' || !Number.isFinite(f) || f <= 0 || f > 1) issues.push({ path: 'sizing.fraction', message: 'expected a number in (0, 1]' });
      else return { fraction: f };
      return 'all-in';
    }
  }
  issues.push({ path: 'sizing', message: 'expected "all-in", {"units": n} or {"fraction": f}' });
  return 'all-in';
}

/** Checks a spec and expands its grid. Throws EngineInputError listing every problem with its path. Needs no bars. */
export function planBacktest(spec: BacktestSpec): BacktestPlan {
  const base = baseSchema.safeParse(spec);
  if (!base.success) throw new EngineInputError(zodIssues(base.error, ''));
  const s = base.data;
  const issues: InputIssue[] = [];
  const strategy = getStrategy(s.strategyId);
  if (strategy === undefined) {
    throw new EngineInputError([
      { path: 'strategyId', message: `unknown strategy ${JSON.stringify(s.strategyId)} (known: ${[...STRATEGIES.keys()].join(', ')})` },
    ]);
  }
  const sizing = sizingConfig(s.sizing, s.fractional, issues);

  const names = Object.keys(strategy.params);
  for (const key of Object.keys(s.params)) {
    if (!names.includes(key)) {
      issues.push({ path: `params.${key}`, message: `unknown parameter for ${strategy.id} (known: ${names.join(', ') || 'none'})` });
    }
  }
  const axes: { name: string; values: (number | boolean)[] }[] = [];
  let isSweep = false;
  let count = 1;
  for (const name of names) {
    if (!(name in s.params)) continue;
    const expanded = expandParam(name, s.params[name], strategy.params[name].type, issues);
    if (expanded === undefined) continue;
    // Every candidate value must pass the parameter's own rules: only cross-parameter rules may skip a combination.
    const scalar = scalarSchema(strategy.params[name], name);
    const bad = expanded.values.map((v) => ({ v, r: scalar.safeParse(v) })).find((x) => !x.r.success);
    if (bad !== undefined && !bad.r.success) {
      const detail = bad.r.error.issues[0]?.message ?? 'invalid value';
      // The message names the parameter and the offending value (of a list or range too).
      issues.push({ path: `params.${name}`, message: detail });
      continue;
    }
    axes.push({ name, values: expanded.values });
    isSweep ||= expanded.sweep;
    count *= expanded.values.length;
  }
  if (count > MAX_COMBINATIONS) issues.push({ path: 'params', message: `grid has ${count} combinations, more than MAX_COMBINATIONS (${MAX_COMBINATIONS})` });
  if (issues.length > 0) throw new EngineInputError(issues);

  // Every value already passed its own rules above, so a combination only needs the defaults and the
  // cross-parameter rules: validating a 10 000-combination grid stays cheap.
  const current: ScalarParams = {};
  for (const [name, info] of Object.entries(strategy.params)) if (info.default !== undefined) current[name] = info.default;
  const combinations: ScalarParams[] = [];
  let broken: { path: string; message: string } | undefined;
  const build = (axis: number): void => {
    if (axis === axes.length) {
      const failed = strategy.rules.find((r) => !r.check(current));
      if (failed === undefined) combinations.push({ ...current });
      else broken ??= { path: `params.${failed.path}`, message: failed.message };
      return;
    }
    for (const v of axes[axis].values) {
      current[axes[axis].name] = v;
      build(axis + 1);
    }
  };
  build(0);
  // A sweep skips combinations that break a cross-parameter rule (fast >= slow); a single run, or a grid where no
  // combination is valid, is an error.
  if (broken !== undefined && (!isSweep || combinations.length === 0)) throw new EngineInputError([broken]);
  return {
    strategy,
    combinations,
    axes,
    isSweep,
    execution: {
      initialCash: s.initialCash,
      commission: s.commission,
      slippageBps: s.slippageBps,
      sizing,
      fractional: s.fractional,
    },
    timeframe: s.timeframe,
    metric: s.sweep.metric,
    top: s.sweep.top,
  };
}

/** Validates a spec without running it (the API calls this at submit). Returns how many combinations will run. */
export function validateSpec(spec: BacktestSpec): { combinations: number } {
  return { combinations: planBacktest(spec).combinations.length };
}
