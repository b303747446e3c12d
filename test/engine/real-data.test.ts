import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../engine/index.ts';
import { runWithTrace } from '../../engine/run.ts';
import type { BacktestSpec } from '../../engine/types.ts';
import { closeTo, DATA_DIR } from './helpers.ts';
import { describeWithSharedData } from '../support/shared-data.ts';

const FILES = ['ORCL-1d.csv', 'NVDA-1d.csv', 'YHOO-1d.csv', 'GOOG-1d.csv', 'EURUSD-1h.csv', 'STOXX50E-2006-1d.csv'];

const STRATEGIES: { strategyId: string; params: BacktestSpec['params'] }[] = [
  { strategyId: 'sma-cross', params: {} },
  { strategyId: 'sma-cross', params: { fast: 1, slow: 20, allowShort: true } },
  { strategyId: 'ema-cross', params: { allowShort: true } },
  { strategyId: 'rsi-reversion', params: {} },
  { strategyId: 'bollinger-reversion', params: { allowShort: true } },
  { strategyId: 'donchian-breakout', params: { allowShort: true } },
  { strategyId: 'macd-cross', params: {} },
  { strategyId: 'buy-and-hold', params: {} },
];

describeWithSharedData('invariants on real data', FILES, () => {
  for (const file of FILES) {
    const bars = parseCsv(readFileSync(`${DATA_DIR}${file}`, 'utf8'), { source: file });
    const fractional = file.startsWith('EURUSD');
    const initialCash = fractional ? 10_000 : 100_000;

    it(`${file}: trade PnL sums to the equity change and equity is cash plus position value at every bar`, async () => {
      for (const s of STRATEGIES) {
        for (const costs of [{ commission: 0, slippageBps: 0 }, { commission: 0.002, slippageBps: 5 }]) {
          const r = await runWithTrace(bars, { ...s, initialCash, fractional, ...costs });
          const label = `${file} ${s.strategyId} ${JSON.stringify(s.params)} ${JSON.stringify(costs)}`;
          const pnl = r.trades.reduce((a, t) => a + t.pnl, 0);
          expect(closeTo(pnl, r.stats.equityFinal - initialCash, 1e-9), `${label}: pnl ${pnl} vs ${r.stats.equityFinal - initialCash}`).toBe(true);
          for (let t = 0; t < bars.length; t++) {
            const expected = r.cash[t] + r.position[t] * bars.close[t];
            if (!closeTo(r.equity[t], expected, 1e-12)) expect.fail(`${label} bar ${t}: ${r.equity[t]} vs ${expected}`);
          }
          expect(r.position[bars.length - 1]).toBe(0);
          // Trades do not overlap and sizes are whole units unless fractional.
          for (let i = 1; i < r.trades.length; i++) expect(r.trades[i].entryTime >= r.trades[i - 1].exitTime).toBe(true);
          if (!fractional) expect(r.trades.every((t) => Number.isInteger(t.size) && t.size > 0)).toBe(true);
        }
      }
    });

    it(`${file}: buy-and-hold without costs matches the price ratio up to the leftover cash`, async () => {
      const r = await runWithTrace(bars, { strategyId: 'buy-and-hold', params: {}, initialCash, commission: 0, fractional });
      const entry = bars.open[1];
      const units = fractional ? initialCash / entry : Math.floor(initialCash / entry);
      const leftover = initialCash - units * entry;
      const last = bars.close[bars.length - 1];
      expect(r.trades).toHaveLength(1);
      expect(closeTo(r.stats.equityFinal, leftover + units * last, 1e-9)).toBe(true);
      expect(closeTo((r.stats.equityFinal - leftover) / (initialCash - leftover), last / entry, 1e-9)).toBe(true);
      expect(r.stats.buyHoldReturnPct).toBeCloseTo((last / bars.close[0] - 1) * 100, 9);
    });
  }
});
