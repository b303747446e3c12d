/** Public API of the backtest engine. Pure TypeScript: no AWS, no I/O beyond the inputs it is handed. */
export * from './types.ts';
export { EngineInputError, CsvFormatError, UnknownSymbolError, BacktestAbortedError, type InputIssue } from './errors.ts';
export { parseCsv } from './csv.ts';
export { barsFromArrays, sliceByTime } from './bars.ts';
export { syntheticSeries, syntheticBarCount, MAX_SYNTHETIC_BARS, SYNTHETIC_PREFIX } from './synthetic.ts';
export { listStrategies, strategyParamSchema, type StrategyInfo } from './strategies/registry.ts';
export type { ParamInfo } from './strategies/strategy.ts';
export { validateSpec, MAX_COMBINATIONS, MAX_TOP } from './spec.ts';
export { runBacktest, runSweepSlice, mergeSweepSlices, runSweepWinner, type SweepSlice } from './run.ts';
export { METRIC_KEYS, type MetricKey } from './stats.ts';
export { MAX_CURVE_POINTS } from './equity-curve.ts';
export { parseTimestamp } from './time.ts';
export {
  smaKernel, emaKernel, rsiKernel, bollingerKernel, macdKernel, atrKernel, donchianKernel, computeIndicator,
  type IndicatorKernel,
} from './indicators.ts';
