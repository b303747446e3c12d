import { describe, expect, it } from 'vitest';
import type { LeaderboardEntryView } from '../../client/leaderboard-types.ts';
import { connectProgress } from '../../client/ws-client.ts';
import { FakeWebSocket } from '../support/fake-websocket.ts';
import { ranksBefore } from '../../web/src/board-order.ts';

// In Node, no browser: the order the web board view places a pushed entry in (the board index's order,
// docs/leaderboard.md) and the WebSocket helper's board watches.

function entry(entryId: string, sharpe: number | null, publishedAt: string, returnPct = 0): LeaderboardEntryView {
  return { entryId, publishedAt, outOfSample: { stats: { sharpe, returnPct } } } as unknown as LeaderboardEntryView;
}

describe('ranksBefore', () => {
  it('puts the higher metric first, a value that is not a number last, then the earlier publication, then the entry id', () => {
    const t1 = '2026-11-28T10:00:00.000Z';
    const t2 = '2026-11-28T11:00:00.000Z';
    const sorted = [entry('e', null, t1), entry('d', 0.5, t2), entry('c', 0.5, t1), entry('b', 0.5, t1), entry('a', 1.2, t2)].sort((x, y) =>
      ranksBefore(x, y, 'sharpe') ? -1 : ranksBefore(y, x, 'sharpe') ? 1 : 0,
    );
    expect(sorted.map((e) => e.entryId)).toEqual(['a', 'b', 'c', 'd', 'e']);
    // Another metric reads another stat.
    expect(ranksBefore(entry('x', 2, t1, -5), entry('y', 1, t1, 3), 'return')).toBe(false);
  });
});

describe('connectProgress board watches', () => {
  it('sends a watch asked for before the socket opens once it opens, once per board, and unwatches', () => {
    const connection = connectProgress({ wsUrl: 'ws://127.0.0.1:1', token: 't', onMessage: () => {}, WebSocket: FakeWebSocket });
    const socket = FakeWebSocket.last!;
    connection.watchBoard('orcl-1d-2011');
    connection.watchBoard('orcl-1d-2011');
    expect(socket.sent).toEqual([]);
    socket.open();
    expect(socket.sent).toEqual([{ action: 'watchBoard', board: 'orcl-1d-2011' }]);
    connection.unwatchBoard('orcl-1d-2011');
    connection.unwatchBoard('orcl-1d-2011');
    expect(socket.sent).toEqual([
      { action: 'watchBoard', board: 'orcl-1d-2011' },
      { action: 'unwatchBoard', board: 'orcl-1d-2011' },
    ]);
  });
});
