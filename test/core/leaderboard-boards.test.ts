import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../engine/index.ts';
import { BOARDS, parseBoards } from '../../lambdas/core/board.ts';
import { BOARD_DATA } from '../../lambdas/core/leaderboard-boards.ts';

const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples', 'data');

describe('boards (lambdas/core/leaderboard-boards.ts)', () => {
  it('every board is valid and runs on the example data a fresh clone has, over both windows', () => {
    expect(BOARDS.length).toBe(BOARD_DATA.length);
    for (const board of BOARDS) {
      const bars = parseCsv(readFileSync(join(EXAMPLES, `${board.symbol}-${board.timeframe}.csv`), 'utf8'));
      const first = new Date(bars.time[0]).toISOString().slice(0, 10);
      const last = new Date(bars.time[bars.length - 1]).toISOString().slice(0, 10);
      expect(first <= board.inSample.startDate, `${board.id} starts before its data`).toBe(true);
      // The last window ends at the data's last bar or later (a year-end holiday), never more than a week after.
      expect(Date.parse(board.outOfSample.endDate) - Date.parse(last)).toBeLessThan(7 * 86_400_000);
      expect(last <= board.outOfSample.endDate).toBe(true);
    }
  });

  it('refuses overlapping windows, duplicate ids and other timeframes', () => {
    const base = { id: 'x-board', title: 'A board', symbol: 'ORCL', timeframe: '1d', inSample: { startDate: '2000-01-01', endDate: '2010-12-31' }, outOfSample: { startDate: '2011-01-01', endDate: '2014-12-31' } };
    expect(() => parseBoards([base])).not.toThrow();
    expect(() => parseBoards([{ ...base, outOfSample: { startDate: '2010-06-01', endDate: '2014-12-31' } }])).toThrow(/must start after the in-sample window ends/);
    expect(() => parseBoards([base, base])).toThrow(/appears twice/);
    expect(() => parseBoards([{ ...base, timeframe: '1h' }])).toThrow(/timeframe/);
  });
});
