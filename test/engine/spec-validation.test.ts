import { describe, expect, it } from 'vitest';
import { EngineInputError, listStrategies, MAX_COMBINATIONS, strategyParamSchema, validateSpec } from '../../engine/index.ts';
import type { BacktestSpec } from '../../engine/types.ts';

const base: BacktestSpec = { strategyId: 'sma-cross', params: { fast: 10, slow: 30 }, initialCash: 10_000, commission: 0.001 };

function issuesOf(spec: unknown): { path: string; message: string }[] {
  try {
    validateSpec(spec as BacktestSpec);
  } catch (e) {
    if (e instanceof EngineInputError) return e.issues;
    throw e;
  }
  throw new Error('expected an EngineInputError');
}

describe('validateSpec', () => {
  it('accepts a plain spec as one combination', () => {
    expect(validateSpec(base)).toEqual({ combinations: 1 });
    expect(validateSpec({ ...base, params: {} })).toEqual({ combinations: 1 });
  });

  it('counts a grid of lists and ranges, skipping combinations that break fast < slow', () => {
    expect(validateSpec({ ...base, params: { fast: [5, 10, 20], slow: { from: 20, to: 60, step: 10 } } })).toEqual({ combinations: 14 });
    expect(validateSpec({ ...base, strategyId: 'bollinger-reversion', params: { k: { from: 1, to: 3, step: 0.5 } } })).toEqual({ combinations: 5 });
  });

  it.each([
    ['an unknown strategy', { strategyId: 'nope' }, 'strategyId', /unknown strategy "nope"/],
    ['an unknown parameter', { params: { fast: 10, slow: 30, slowest: 5 } }, 'params.slowest', /unknown parameter/],
    ['a non-integer period', { params: { fast: 2.5, slow: 30 } }, 'params.fast', /^fast must be a whole number, got 2\.5$/],
    ['a period below its minimum', { params: { fast: 0, slow: 30 } }, 'params.fast', /^fast must be at least 1, got 0$/],
    ['fast not below slow', { params: { fast: 30, slow: 10 } }, 'params.fast', /fast must be less than slow/],
    ['a wrong type', { params: { fast: '10', slow: 30 } }, 'params.fast', /expected a number/],
    ['a boolean swept', { params: { allowShort: [1, 0] } }, 'params.allowShort', /single true or false/],
    ['a range going down', { params: { fast: { from: 10, to: 5, step: 1 } } }, 'params.fast.to', /below its start/],
    ['a range with a zero step', { params: { fast: { from: 1, to: 5, step: 0 } } }, 'params.fast.step', /./],
    ['an invalid value inside a list', { params: { fast: [5, -1], slow: 30 } }, 'params.fast', /^fast must be at least 1, got -1$/],
    ['a k above its maximum', { strategyId: 'bollinger-reversion', params: { k: 20 } }, 'params.k', /^k must be at most 10, got 20$/],
    ['a boolean given as a number', { params: { allowShort: 1 } }, 'params.allowShort', /^allowShort must be true or false, got 1$/],
    ['an empty list', { params: { fast: [] } }, 'params.fast', /empty list/],
    ['a grid over MAX_COMBINATIONS', { params: { fast: { from: 1, to: 200, step: 1 }, slow: { from: 201, to: 300, step: 1 } } }, 'params', /20000 combinations, more than MAX_COMBINATIONS/],
    ['a sweep where no combination is valid', { params: { fast: [40, 50], slow: [10, 20] } }, 'params.fast', /fast must be less than slow/],
    ['a zero initial cash', { initialCash: 0 }, 'initialCash', /./],
    ['a negative commission', { commission: -0.1 }, 'commission', /./],
    ['fractional units without fractional', { sizing: { units: 1.5 } }, 'sizing.units', /whole number/],
    ['a fraction above 1', { sizing: { fraction: 1.5 } }, 'sizing.fraction', /\(0, 1\]/],
    ['an unknown sizing', { sizing: 'half' }, 'sizing', /all-in/],
    ['an unknown sweep metric', { sweep: { metric: 'luck' } }, 'sweep.metric', /./],
    ['an unknown timeframe', { timeframe: '2h' }, 'timeframe', /./],
  ])('rejects %s with the offending path', (_name, patch, path, message) => {
    const issues = issuesOf({ ...base, ...patch });
    const hit = issues.find((i) => i.path === path);
    expect(hit, JSON.stringify(issues)).toBeDefined();
    expect(hit!.message).toMatch(message);
  });

  it('documents MAX_COMBINATIONS as 10 000', () => {
    expect(MAX_COMBINATIONS).toBe(10_000);
    expect(validateSpec({ ...base, params: { fast: { from: 1, to: 100, step: 1 }, slow: { from: 101, to: 200, step: 1 } } })).toEqual({ combinations: 10_000 });
  });
});

describe('listStrategies', () => {
  it('lists every required strategy with parameter types and defaults matching its zod schema', () => {
    const list = listStrategies();
    expect(list.map((s) => s.id).sort()).toEqual(
      ['bollinger-reversion', 'buy-and-hold', 'donchian-breakout', 'ema-cross', 'macd-cross', 'rsi-reversion', 'sma-cross'],
    );
    for (const s of list) {
      const defaults = strategyParamSchema(s.id)!.parse({});
      for (const [name, info] of Object.entries(s.params)) expect(defaults[name], `${s.id}.${name}`).toBe(info.default);
    }
    expect(list.find((s) => s.id === 'sma-cross')!.params).toMatchObject({
      fast: { type: 'integer', default: 10 }, slow: { type: 'integer', default: 30 }, allowShort: { type: 'boolean', default: false },
    });
  });
});
