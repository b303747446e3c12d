/**
 * The leaderboard's boards, as plain data (docs/leaderboard.md, "Adding a board"). An operator adds a board by
 * adding an object here in a pull request; test/core/leaderboard-boards.test.ts checks every board against the
 * schema in board.ts and that its data exists in examples/data, so a board that cannot run never ships.
 *
 * Never change the windows of a board that has entries: its entries were ranked on those windows. Add a new board.
 */
export const BOARD_DATA: readonly unknown[] = [
  {
    id: 'orcl-1d-2011',
    title: 'Oracle daily: tune on 2000-2010, ranked on 2011-2014',
    symbol: 'ORCL',
    timeframe: '1d',
    inSample: { startDate: '2000-01-01', endDate: '2010-12-31' },
    outOfSample: { startDate: '2011-01-01', endDate: '2014-12-31' },
  },
  {
    id: 'nvda-1d-2011',
    title: 'NVIDIA daily: tune on 2000-2010, ranked on 2011-2014',
    symbol: 'NVDA',
    timeframe: '1d',
    inSample: { startDate: '2000-01-01', endDate: '2010-12-31' },
    outOfSample: { startDate: '2011-01-01', endDate: '2014-12-31' },
  },
];
