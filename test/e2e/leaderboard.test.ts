import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, createApiClient, type ApiClient } from '../../client/api-client.ts';
import type { LeaderboardEntryView, LeaderboardMessage } from '../../client/leaderboard-types.ts';
import type { ParamValue, ProgressMessage } from '../../client/types.ts';
import { connectProgress, progressUrl } from '../../client/ws-client.ts';
import { errorsOnlyLogger } from '../../local/http-util.ts';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { REPO_ROOT } from '../../lib/handler-entries.ts';
import { emulatorEndpoints, freshPrefix } from '../support/emulator-env.ts';

// Issue 14 end to end on the local stack, on the example data a fresh clone has (the ORCL daily board): three users
// tune on the board's in-sample window and publish, the recorder stores their entries when the out-of-sample jobs
// succeed (each pushed to a board watcher), the board ranks them, and a fourth user copies the leader.
const BOARD = 'orcl-1d-2011';
let stack: LocalStack;
const user = (label: string): string => `${label}-${Math.random().toString(16).slice(2, 8)}`;
const clientFor = async (userId: string, tier: 'free' | 'basic' | 'pro' = 'pro'): Promise<ApiClient> =>
  createApiClient({ baseUrl: stack.httpUrl, token: await stack.token({ userId, tier }) });

beforeAll(async () => {
  stack = await startLocalStack({
    httpPort: 0,
    wsPort: 0,
    emulators: emulatorEndpoints(),
    prefix: freshPrefix('e2e-lb'),
    dataDir: join(REPO_ROOT, 'examples', 'data'),
    workerThreads: { free: 1, basic: 1, pro: 1 },
    extraEnv: { LOG_LEVEL: 'ERROR' },
    log: errorsOnlyLogger,
  });
});

afterAll(async () => {
  await stack?.stop();
});

/** The terminal status of a job, from the WebSocket (no polling, no fixed sleep). */
async function finished(userId: string, jobId: string): Promise<string> {
  const token = await stack.token({ userId, tier: 'pro' });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`job ${jobId} did not finish in 90 s`)), 90_000);
    const conn = connectProgress({
      wsUrl: stack.wsUrl,
      token,
      onMessage: (m: ProgressMessage) => {
        const status = m.type === 'progress' ? m.status : m.type === 'snapshot' ? m.job.status : undefined;
        if (status === 'succeeded' || status === 'failed' || status === 'cancelled') {
          clearTimeout(timer);
          conn.close();
          resolve(status);
        }
      },
    });
    conn.subscribe(jobId);
  });
}

/** A board watcher: resolves `ready` once the server confirmed the watch, and collects every entry pushed. */
async function watchBoard(userId: string): Promise<{ entries: LeaderboardEntryView[]; next: (n: number) => Promise<LeaderboardEntryView[]>; close: () => void }> {
  const socket = new WebSocket(progressUrl(stack.wsUrl, await stack.token({ userId, tier: 'free' })));
  const entries: LeaderboardEntryView[] = [];
  const waiters: { n: number; resolve: (e: LeaderboardEntryView[]) => void }[] = [];
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => socket.send(JSON.stringify({ action: 'watchBoard', board: BOARD })));
    socket.addEventListener('error', () => reject(new Error('watcher socket failed')));
    socket.addEventListener('message', (event) => {
      const m = JSON.parse(String(event.data)) as { type: string; entry?: LeaderboardMessage['entry'] };
      if (m.type === 'watching') resolve();
      if (m.type === 'leaderboard' && m.entry) {
        entries.push(m.entry);
        for (const w of waiters.filter((x) => entries.length >= x.n)) w.resolve(entries.slice());
      }
    });
  });
  return {
    entries,
    next: (n) =>
      entries.length >= n
        ? Promise.resolve(entries.slice())
        : new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`only ${entries.length} of ${n} entries pushed in 120 s`)), 120_000);
            waiters.push({ n, resolve: (e) => (clearTimeout(timer), resolve(e)) });
          }),
    close: () => socket.close(),
  };
}

const tune = (params: Record<string, ParamValue>) => ({
  strategyId: 'sma-cross',
  params,
  symbol: 'ORCL',
  timeframe: '1d' as const,
  startDate: '2000-01-01',
  endDate: '2010-12-31',
});

describe('leaderboard on the local stack', () => {
  it('three users publish, the board ranks them out of sample, a fourth copies the leader and that job succeeds', async () => {
    const boards = await (await clientFor(user('viewer'))).leaderboards();
    expect(boards.boards.map((b) => b.id)).toContain(BOARD);

    const watcher = await watchBoard(user('watcher'));
    const publishers = [
      { id: user('ann'), name: 'Ann Trend', params: { fast: [5, 10, 20], slow: [50, 100] } },
      { id: user('ben'), name: 'Ben_Cross', params: { fast: 10, slow: 30 } },
      { id: user('cy'), name: 'Cy.Slow', params: { fast: 50, slow: 200 } },
    ];
    const published = await Promise.all(
      publishers.map(async (p) => {
        const api = await clientFor(p.id);
        const { jobId } = await api.submit(tune(p.params));
        expect(await finished(p.id, jobId)).toBe('succeeded');
        const res = await api.publish(jobId, { board: BOARD, displayName: p.name });
        expect(await finished(p.id, res.outOfSampleJobId)).toBe('succeeded');
        return { ...p, api, jobId, oos: await api.getJob(res.outOfSampleJobId) };
      }),
    );
    const pushed = await watcher.next(3);
    watcher.close();
    expect(pushed.map((e) => e.displayName).sort()).toEqual(['Ann Trend', 'Ben_Cross', 'Cy.Slow']);

    const viewerApi = await clientFor(user('viewer'));
    const page = await viewerApi.leaderboard(BOARD);
    expect(page.items).toHaveLength(3);
    const sharpes = page.items.map((e) => e.outOfSample.stats.sharpe ?? Number.NEGATIVE_INFINITY);
    expect([...sharpes].sort((a, b) => b - a)).toEqual(sharpes);
    expect(page.items.map((e) => e.rank)).toEqual([1, 2, 3]);
    // The out-of-sample numbers are the publisher's own out-of-sample job's, and no user id is shown.
    for (const p of published) {
      const entry = page.items.find((e) => e.displayName === p.name)!;
      expect(entry.outOfSample.stats).toEqual(p.oos.result!.stats);
      expect(entry.params).toEqual(p.oos.request.params);
      expect(entry.outOfSample.barsSha256).toBe(p.oos.result!.provenance!.barsSha256);
      expect(entry.engineVersion).toBe(p.oos.result!.provenance!.engineVersion);
      expect(JSON.stringify(page)).not.toContain(p.id);
    }
    expect(page.items.find((e) => e.displayName === 'Ann Trend')!.deflatedSharpe.trials).toBe(6);

    // Paging by one walks the same order.
    const first = await viewerApi.leaderboard(BOARD, { limit: 1 });
    const second = await viewerApi.leaderboard(BOARD, { limit: 1, cursor: first.nextCursor! });
    expect([first.items[0].entryId, second.items[0].entryId]).toEqual(page.items.slice(0, 2).map((e) => e.entryId));

    // A fourth user copies the leader: their own job, charged, and it succeeds with the leader's numbers.
    const copier = user('dee');
    const copierApi = await clientFor(copier, 'basic');
    const leader = page.items[0];
    const copied = await copierApi.copyEntry(BOARD, leader.entryId);
    expect(copied.tier).toBe('basic');
    expect(await finished(copier, copied.jobId)).toBe('succeeded');
    const job = await copierApi.getJob(copied.jobId);
    expect(job.request.params).toEqual(leader.params);
    expect(job.result!.stats).toEqual(leader.outOfSample.stats);

    // Refusals over HTTP: another user's job is 404; a job on another window is a 400 naming the field.
    const ann = published[0];
    await expect(copierApi.publish(ann.jobId, { board: BOARD, displayName: 'Thief' })).rejects.toMatchObject({ status: 404 });
    const { jobId: wrong } = await ann.api.submit({ ...tune({ fast: 10, slow: 30 }), startDate: '2001-01-01' });
    expect(await finished(ann.id, wrong)).toBe('succeeded');
    const refusal = await ann.api.publish(wrong, { board: BOARD, displayName: 'Ann Trend' }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(ApiError);
    expect((refusal as ApiError).problem.errors?.map((e) => e.path)).toEqual(['startDate']);

    // Unpublish takes Ben off the board.
    const ben = published[1];
    await ben.api.unpublish(ben.jobId, BOARD);
    const after = await viewerApi.leaderboard(BOARD);
    expect(after.items.map((e) => e.displayName).sort()).toEqual(['Ann Trend', 'Cy.Slow']);
  }, 300_000);
});
