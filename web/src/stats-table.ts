/** The stats of a backtest as a two-column <table>, labelled with units (percent numbers as the engine gives them). */
import { h } from './dom.ts';
import { int, money, num, pct } from './format.ts';
import type { Stats } from '../../client/types.ts';

type Kind = 'pct' | 'money' | 'int' | 'ratio' | 'text' | 'days';
const ROWS: [keyof Stats, string, Kind][] = [
  ['returnPct', 'Return', 'pct'],
  ['buyHoldReturnPct', 'Buy & hold return', 'pct'],
  ['cagrPct', 'CAGR', 'pct'],
  ['sharpe', 'Sharpe ratio', 'ratio'],
  ['sortino', 'Sortino ratio', 'ratio'],
  ['calmar', 'Calmar ratio', 'ratio'],
  ['maxDrawdownPct', 'Max drawdown', 'pct'],
  ['avgDrawdownPct', 'Average drawdown', 'pct'],
  ['maxDrawdownDurationDays', 'Longest drawdown', 'days'],
  ['volatilityAnnPct', 'Volatility (annual)', 'pct'],
  ['equityFinal', 'Final equity', 'money'],
  ['equityPeak', 'Peak equity', 'money'],
  ['trades', 'Trades', 'int'],
  ['winRatePct', 'Win rate', 'pct'],
  ['bestTradePct', 'Best trade', 'pct'],
  ['worstTradePct', 'Worst trade', 'pct'],
  ['avgTradePct', 'Average trade', 'pct'],
  ['profitFactor', 'Profit factor', 'ratio'],
  ['expectancyPct', 'Expectancy', 'pct'],
  ['exposurePct', 'Exposure', 'pct'],
  ['start', 'Start', 'text'],
  ['end', 'End', 'text'],
  ['bars', 'Bars', 'int'],
];

function format(value: unknown, kind: Kind): string {
  if (typeof value !== 'number') return value === undefined || value === null ? '—' : String(value).replace('T', ' ').replace(/\.000Z$|:00\.000Z$/, '');
  switch (kind) {
    case 'pct':
      return pct(value);
    case 'money':
      return money(value);
    case 'int':
      return int(value);
    case 'days':
      return `${int(value)} days`;
    default:
      return num(value, 2);
  }
}

export function statsTable(stats: Stats, caption = 'Statistics'): HTMLTableElement {
  return h(
    'table',
    { class: 'stats' },
    h('caption', {}, caption),
    h('tbody', {}, ROWS.map(([key, label, kind]) => {
      const value = stats[key];
      const sign = typeof value === 'number' && (kind === 'pct' || kind === 'ratio') && key !== 'volatilityAnnPct' && key !== 'exposurePct' ? (value > 0 ? 'pos' : value < 0 ? 'neg' : '') : '';
      return h('tr', {}, h('th', { scope: 'row' }, label), h('td', { class: sign }, format(value, kind)));
    })),
  ) as HTMLTableElement;
}

/** Metrics where a smaller number is the better one: the engine's list (engine/stats.ts), copied to keep the engine out of the bundle. */
export const LOWER_IS_BETTER = new Set(['volatilityAnnPct', 'maxDrawdownDurationDays']);
