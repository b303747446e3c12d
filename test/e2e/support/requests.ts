/**
 * Submit bodies sized for the e2e tests. The engine's speed is measured in test/core; these only need to be
 * long enough to be seen running (several progress writes at 250 ms) and well inside the work limit.
 */

/** About 4,000 combinations of SMA cross on 55 years of synthetic daily bars: a few seconds on a 2-core machine. */
export const LONG_SWEEP = {
  strategyId: 'sma-cross',
  params: { fast: { from: 2, to: 81, step: 1 }, slow: { from: 100, to: 298, step: 4 } },
  symbol: 'SYNTH-E2E',
  timeframe: '1d',
  startDate: '1971-01-01',
  endDate: '2025-06-30',
};

/**
 * For a test that cancels a running job or cuts its socket and must find it still running afterwards: two years of
 * SYNTH 1-minute bars x 5,000 combinations, about 1.1e9 bar evaluations, which the pro tier fans out in chunks. It
 * runs for tens of seconds even on a quiet machine (LONG_SWEEP can finish in about a second there, before a spawned CLI
 * gets to cancel it), and a cancel stops it within a chunk, so the test never waits for the whole of it.
 */
export const CANCELLABLE_SWEEP = {
  strategyId: 'sma-cross',
  params: { fast: { from: 1, to: 50, step: 1 }, slow: { from: 51, to: 150, step: 1 } },
  symbol: 'SYNTH-CANCEL',
  timeframe: '1m',
  startDate: '2023-01-01',
  endDate: '2024-12-31',
};

/** A sweep of 50 combinations: a second or less, several progress updates on the way. */
export const SHORT_SWEEP = {
  strategyId: 'sma-cross',
  params: { fast: { from: 5, to: 50, step: 5 }, slow: { from: 60, to: 100, step: 10 } },
  symbol: 'SYNTH-E2E',
  timeframe: '1d',
  startDate: '1980-01-01',
  endDate: '2025-06-30',
};

export const SINGLE_RUN = {
  strategyId: 'sma-cross',
  params: { fast: 10, slow: 30 },
  symbol: 'SYNTH-E2E',
  timeframe: '1d',
  startDate: '2015-01-01',
  endDate: '2020-12-31',
};

/** A few hundred combinations: a second or two, long enough to be caught running and cut off. Fits the basic tier. */
export const MEDIUM_SWEEP = {
  strategyId: 'sma-cross',
  params: { fast: { from: 5, to: 100, step: 5 }, slow: { from: 110, to: 300, step: 10 } },
  symbol: 'SYNTH-E2E',
  timeframe: '1d',
  startDate: '1975-01-01',
  endDate: '2025-06-30',
};
