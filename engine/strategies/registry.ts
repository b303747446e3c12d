import { bollingerReversion } from './bollinger-reversion.ts';
import { buyAndHold } from './buy-and-hold.ts';
import { donchianBreakout } from './donchian-breakout.ts';
import { emaCross } from './ema-cross.ts';
import { macdCross } from './macd-cross.ts';
import { rsiReversion } from './rsi-reversion.ts';
import { smaCross } from './sma-cross.ts';
import type { ParamInfo, StrategyDefinition } from './strategy.ts';

const ALL = [buyAndHold, smaCross, emaCross, rsiReversion, bollingerReversion, donchianBreakout, macdCross];

export const STRATEGIES: ReadonlyMap<string, StrategyDefinition> = new Map(ALL.map((s) => [s.id, s]));

export function getStrategy(id: string): StrategyDefinition | undefined {
  return STRATEGIES.get(id);
}

export interface StrategyInfo {
  id: string;
  description: string;
  params: Record<string, ParamInfo>;
}

/** The built-in strategies with their parameter tables (types, defaults, bounds), for API docs and UIs. */
export function listStrategies(): StrategyInfo[] {
  return ALL.map((s) => ({ id: s.id, description: s.description, params: structuredClone(s.params) }));
}

/** The zod schema of a strategy's scalar parameters (defaults applied, unknown keys rejected). */
export function strategyParamSchema(id: string) {
  return STRATEGIES.get(id)?.schema;
}
