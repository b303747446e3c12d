import { describe, expect, it } from 'vitest';
import { runBacktest, syntheticSeries } from '../../engine/index.ts';
import { MAX_RESULT_BYTES } from '../../lambdas/adapters/dynamodb-job-repository.ts';
import { MAX_STORED_TRADES } from '../../lambdas/core/job-result.ts';
import { TIER_SETTINGS } from '../../lambdas/core/tiers.ts';
import { toJobResult } from '../../lambdas/core/use-cases/process-job.ts';

describe('stored result size with a sweep grid', () => {
  it('stays under the item budget in the worst case the tiers allow: pro grid, top 50, the full trade list', async () => {
    // A real two-parameter sweep, then padded to the limits: its best run's trades repeated up to MAX_STORED_TRADES,
    // its grid's cells repeated up to the pro tier's maxCombinations (each cell a real 6-digit metric value).
    const bars = syntheticSeries('SYNTH-SIZE', '1h', Date.UTC(2020, 0, 1), Date.UTC(2022, 0, 1));
    const run = await runBacktest(bars, {
      strategyId: 'sma-cross',
      params: { fast: { from: 1, to: 10, step: 1 }, slow: { from: 11, to: 20, step: 1 }, allowShort: true },
      initialCash: 10_000,
      commission: 0.0001,
      sweep: { metric: 'sharpe', top: 50 },
    });
    const cells = run.sweep!.grid!.metric.filter((v) => v !== null);
    const maxCells = TIER_SETTINGS.pro.maxCombinations;
    const worst = {
      ...run,
      trades: Array.from({ length: MAX_STORED_TRADES + 1 }, (_, i) => run.trades[i % run.trades.length]),
      sweep: {
        ...run.sweep!,
        top: Array.from({ length: 50 }, (_, i) => run.sweep!.top[i % run.sweep!.top.length]),
        grid: { ...run.sweep!.grid!, metric: Array.from({ length: maxCells }, (_, i) => cells[i % cells.length]) },
      },
    };

    const bytes = Buffer.byteLength(JSON.stringify(toJobResult(worst)));
    const gridBytes = Buffer.byteLength(JSON.stringify(worst.sweep.grid));

    expect(gridBytes).toBeLessThan(60 * 1024);
    expect(bytes).toBeLessThan(MAX_RESULT_BYTES);
  });
});
