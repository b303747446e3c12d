import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DATA_DIR } from './helpers.ts';
import { itWithSharedData } from '../support/shared-data.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const STATS_KEYS = [
  'start', 'end', 'bars', 'trades', 'equityFinal', 'equityPeak', 'returnPct', 'buyHoldReturnPct', 'cagrPct',
  'volatilityAnnPct', 'sharpe', 'sortino', 'calmar', 'maxDrawdownPct', 'avgDrawdownPct', 'maxDrawdownDurationDays',
  'winRatePct', 'bestTradePct', 'worstTradePct', 'avgTradePct', 'profitFactor', 'expectancyPct', 'exposurePct',
];
const TRADE_KEYS = ['side', 'size', 'entryTime', 'exitTime', 'entryPrice', 'exitPrice', 'pnl', 'returnPct'];

function cli(...args: string[]) {
  return spawnSync(process.execPath, ['engine/cli.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
}

describe('backtest CLI', () => {
  itWithSharedData('prints exactly {params, stats, trades} as JSON for ORCL-1d.csv', ['ORCL-1d.csv'], () => {
    const out = cli('--csv', `${DATA_DIR}ORCL-1d.csv`, '--strategy', 'sma-cross', '--param', 'fast=10', '--param', 'slow=30', '--commission', '0.001', '--json');
    expect(out.status, out.stderr).toBe(0);
    const json = JSON.parse(out.stdout);
    expect(Object.keys(json)).toEqual(['params', 'stats', 'trades']);
    expect(json.params).toEqual({ fast: 10, slow: 30, allowShort: false });
    expect(Object.keys(json.stats)).toEqual(STATS_KEYS);
    expect(json.stats.bars).toBe(5036);
    expect(json.stats.trades).toBe(json.trades.length);
    expect(json.trades.length).toBeGreaterThan(10);
    for (const t of json.trades) {
      expect(Object.keys(t)).toEqual(TRADE_KEYS);
      expect(t.side).toBe('long');
    }
    const pnl = json.trades.reduce((a: number, t: { pnl: number }) => a + t.pnl, 0);
    expect(pnl).toBeCloseTo(json.stats.equityFinal - 10_000, 6);
  });

  itWithSharedData('adds a sweep key for a grid and prints a readable table without --json', ['ORCL-1d.csv'], () => {
    const sweep = cli('--csv', `${DATA_DIR}ORCL-1d.csv`, '--strategy', 'sma-cross', '--param', 'fast=5,10', '--param', 'slow=20:40:20', '--metric', 'returnPct', '--top', '2', '--json');
    expect(sweep.status, sweep.stderr).toBe(0);
    const json = JSON.parse(sweep.stdout);
    expect(Object.keys(json)).toEqual(['params', 'stats', 'trades', 'sweep']);
    expect(json.params).toEqual(json.sweep.top[0].params); // the best combination's parameters
    expect(json.sweep).toMatchObject({ metric: 'returnPct', combinations: 4 });
    expect(json.sweep.top).toHaveLength(2);
    const table = cli('--csv', `${DATA_DIR}ORCL-1d.csv`, '--strategy', 'buy-and-hold');
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/equityFinal\s+\d/);
  });

  it('runs on synthetic data', () => {
    const out = cli('--symbol', 'SYNTH-CLI', '--timeframe', '1h', '--start', '2024-01-01', '--end', '2024-06-30', '--strategy', 'rsi-reversion', '--sizing', 'fraction:0.5', '--slippage-bps', '2', '--json');
    expect(out.status, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout).stats.start).toBe('2024-01-01T14:00:00.000Z');
  });

  it.each([
    [['--csv', 'no-such-file.csv', '--strategy', 'sma-cross'], /cannot read/],
    [['--symbol', 'SYNTH-X', '--timeframe', '1h', '--start', '2024-01-01', '--end', '2024-02-01', '--strategy', 'nope'], /strategyId: unknown strategy/],
    [['--symbol', 'SYNTH-X', '--timeframe', '1h', '--start', '2024-01-01', '--end', '2024-02-01', '--strategy', 'sma-cross', '--param', 'fast=50'], /params.fast: fast must be less than slow/],
    [['--symbol', 'SYNTH-X', '--timeframe', '1d', '--start', '2024-01-01', '--end', '2024-06-01', '--strategy', 'sma-cross', '--param', 'fast=2.5'], /^error: params\.fast: fast must be a whole number, got 2\.5$/m],
    [['--symbol', 'ORCL', '--timeframe', '1d', '--start', '2024-01-01', '--end', '2024-02-01', '--strategy', 'sma-cross'], /unknown symbol/],
    [['--symbol', 'SYNTH-X', '--start', '2024-01-01', '--end', '2024-02-01', '--strategy', 'sma-cross', '--sizing', 'lots'], /--sizing/],
    [['--strategy', 'sma-cross', '--bogus'], /Unknown option/],
  ])('exits 2 with a message on stderr for bad input %#', (args, message) => {
    const out = cli(...args);
    expect(out.status).toBe(2);
    expect(out.stderr).toMatch(message);
    expect(out.stdout).toBe('');
  });
});
