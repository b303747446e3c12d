import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, type ApiClient } from '../../client/api-client.ts';
import type { JobListItem, JobView } from '../../client/types.ts';
import { JobFeed, type BoardWatchAnswer } from '../../web/src/job-feed.ts';
import { FakeWebSocket } from '../support/fake-websocket.ts';
import { until } from '../support/until.ts';

// The web app's JobFeed in Node (no browser needed): how it merges the list, the socket and polling, with a fake API
// and a fake WebSocket the test drives.

const at = (s: number): string => new Date(Date.UTC(2026, 10, 28, 8, 0, s)).toISOString();

function item(jobId: string, fields: Partial<JobListItem> = {}): JobListItem {
  return {
    jobId,
    tier: 'pro',
    status: 'running',
    progress: 0.1,
    message: '',
    attempts: 1,
    createdAt: at(0),
    updatedAt: at(1),
    request: { strategyId: 'sma-cross', params: {}, symbol: 'SYNTH-T', timeframe: '1d', initialCash: 10_000, commission: 0, slippageBps: 0, sizing: 'all-in', fractional: false },
    combinations: 1,
    links: { self: `/backtests/${jobId}` },
    ...fields,
  };
}

interface FakeApi {
  api: ApiClient;
  list: JobListItem[];
  jobs: Map<string, JobListItem>;
  getJobCalls: string[];
  listError?: Error;
}

function fakeApi(): FakeApi {
  const state: FakeApi = { list: [], jobs: new Map(), getJobCalls: [], api: undefined as never };
  state.api = {
    listJobs: async () => {
      if (state.listError) throw state.listError;
      return { items: state.list, nextCursor: null };
    },
    getJob: async (id: string) => {
      state.getJobCalls.push(id);
      return (state.jobs.get(id) ?? state.list.find((j) => j.jobId === id)) as JobView;
    },
  } as unknown as ApiClient;
  return state;
}

let feed: JobFeed | undefined;
afterEach(() => {
  feed?.stop();
  FakeWebSocket.all = [];
});

function start(api: FakeApi, onUnauthorized: (e: ApiError) => void = () => undefined): JobFeed {
  feed = new JobFeed({ api: api.api, wsUrl: 'ws://fake', token: () => 't', listIntervalMs: 20, pollIntervalMs: 20, onUnauthorized, WebSocket: FakeWebSocket });
  feed.start();
  return feed;
}

describe('JobFeed', () => {
  it('keeps the newest state: an older list answer never moves a bar back, and a finished job never reopens', async () => {
    const api = fakeApi();
    api.list = [item('a', { progress: 0.2, updatedAt: at(2) })];
    const f = start(api);
    await until(() => f.jobs.get('a')?.progress === 0.2);
    const socket = FakeWebSocket.all[0];
    socket.open();
    await until(() => socket.subscribed().includes('a'));

    socket.push({ type: 'progress', jobId: 'a', status: 'running', progress: 0.6, message: '60 %', at: at(6) });
    expect(f.jobs.get('a')?.progress).toBe(0.6);
    // The list keeps answering with the state of second 2: the bar stays at 60 %.
    await new Promise<void>((resolve) => f.addEventListener('change', () => resolve(), { once: true }));
    expect(f.jobs.get('a')?.progress).toBe(0.6);

    const finished = new Promise<JobListItem>((resolve) => f.addEventListener('finished', (e) => resolve((e as CustomEvent<JobListItem>).detail), { once: true }));
    socket.push({ type: 'progress', jobId: 'a', status: 'succeeded', progress: 1, message: 'done', at: at(8) });
    expect((await finished).status).toBe('succeeded');
    expect(socket.sent).toContainEqual({ action: 'unsubscribe', jobId: 'a' });
    // A late "running" (an answer that left the server before the end) does not reopen it.
    socket.push({ type: 'progress', jobId: 'a', status: 'running', progress: 0.9, message: '', at: at(9) });
    expect(f.jobs.get('a')?.status).toBe('succeeded');
  });

  it('a queued place read earlier (older positionAt) that arrives later does not raise the place', async () => {
    // Queue refreshes of one job all carry its same `at` and run in two lanes, so they can arrive in either order.
    const api = fakeApi();
    api.list = [item('q', { status: 'queued', progress: 0, updatedAt: at(1) })];
    const f = start(api);
    await until(() => f.jobs.has('q'));
    const socket = FakeWebSocket.all[0];
    socket.open();
    await until(() => socket.subscribed().includes('q'));
    const queued = (queuePosition: number, etaSeconds: number, positionAt: string) =>
      socket.push({ type: 'progress', jobId: 'q', status: 'queued', progress: 0, message: 'Queued', at: at(1), queuePosition, etaSeconds, positionAt });
    const place = () => [f.jobs.get('q')?.queuePosition, f.jobs.get('q')?.etaSeconds];

    socket.push({ type: 'snapshot', job: { ...item('q', { status: 'queued', progress: 0, updatedAt: at(1), queuePosition: 5, etaSeconds: 60 }), positionAt: at(10) } });
    expect(place()).toEqual([5, 60]);
    queued(4, 50, at(12));
    expect(place()).toEqual([4, 50]);
    queued(5, 60, at(11)); // read before the 4, posted after it
    expect(place()).toEqual([4, 50]);
    queued(5, 60, at(10)); // as old as the snapshot
    expect(place()).toEqual([4, 50]);
    queued(3, 40, at(13));
    expect(place()).toEqual([3, 40]);
    expect(f.jobs.get('q')).not.toHaveProperty('positionAt');
    // The job's own stream record has no positionAt and applies as before.
    socket.push({ type: 'progress', jobId: 'q', status: 'running', progress: 0.1, message: 'Running', at: at(14) });
    expect(f.jobs.get('q')).toMatchObject({ status: 'running', progress: 0.1 });
  });

  it("tells a watched board's refusal and acceptance apart, and ignores answers for boards it does not watch", async () => {
    const f = start(fakeApi());
    const socket = FakeWebSocket.all[0];
    socket.open();
    f.watchBoard('orcl-1d-2011');
    const answers: BoardWatchAnswer[] = [];
    f.addEventListener('board-watch', (e) => answers.push((e as CustomEvent<BoardWatchAnswer>).detail));
    const message = 'This connection already watches 50 jobs and boards (the most one may)';
    socket.push({ type: 'error', code: 'too_many_subscriptions', board: 'orcl-1d-2011', message });
    socket.push({ type: 'error', code: 'too_many_subscriptions', board: 'nvda-1d-2011', message });
    // A job's refusal carries a jobId, not a board: not a board answer.
    socket.push({ type: 'error', code: 'too_many_subscriptions', jobId: 'a', message });
    socket.push({ type: 'watching', board: 'orcl-1d-2011' });
    expect(answers).toEqual([
      { board: 'orcl-1d-2011', watching: false, code: 'too_many_subscriptions', message },
      { board: 'orcl-1d-2011', watching: true },
    ]);
  });

  it('polls only unfinished jobs while the socket is down, and subscribes them again when it returns', async () => {
    const api = fakeApi();
    api.list = [item('run', { progress: 0.3 }), item('done', { status: 'succeeded', progress: 1 })];
    const f = start(api);
    FakeWebSocket.all[0].open();
    await until(() => f.socketState === 'live' && f.jobs.size === 2);
    expect(api.getJobCalls).toEqual([]);

    FakeWebSocket.all[0].drop();
    expect(f.socketState).toBe('down');
    api.jobs.set('run', item('run', { progress: 0.7, updatedAt: at(7) }));
    await until(() => f.jobs.get('run')?.progress === 0.7, 5000, 'progress by polling');
    expect(new Set(api.getJobCalls)).toEqual(new Set(['run']));

    // The reconnect (after 1 s) stays "down" until it opens, then subscribes the unfinished job only.
    await until(() => FakeWebSocket.all.length === 2, 5000, 'reconnect attempt');
    expect(f.socketState).toBe('down');
    FakeWebSocket.all[1].open();
    expect(f.socketState).toBe('live');
    expect(FakeWebSocket.all[1].subscribed()).toEqual(['run']);
    const polled = api.getJobCalls.length;
    await new Promise<void>((resolve) => f.addEventListener('change', () => resolve(), { once: true }));
    await new Promise<void>((resolve) => f.addEventListener('change', () => resolve(), { once: true }));
    expect(api.getJobCalls.length).toBe(polled);
  });

  it('reads older jobs on request and keeps them through later refreshes of the first page', async () => {
    const api = fakeApi();
    const pages: Record<string, { items: JobListItem[]; nextCursor: string | null }> = {
      first: { items: [item('new', { createdAt: at(30), status: 'succeeded', progress: 1 })], nextCursor: 'c1' },
      c1: { items: [item('old', { createdAt: at(10), status: 'succeeded', progress: 1 })], nextCursor: null },
    };
    api.api.listJobs = async (query = {}) => pages[query.cursor ?? 'first'];
    const f = start(api);
    await until(() => f.olderCursor === 'c1');
    await f.loadOlder();
    expect(f.order).toEqual(['new', 'old']);
    expect(f.olderCursor).toBeNull();
    await new Promise<void>((resolve) => f.addEventListener('change', () => resolve(), { once: true }));
    expect(f.order).toEqual(['new', 'old']);
  });

  it('ends the session on a 401 from the list', async () => {
    const api = fakeApi();
    api.listError = new ApiError(401, { type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'The token expired at 2026-11-28T08:00:00Z' });
    let refused: ApiError | undefined;
    start(api, (e) => {
      refused = e;
    });
    await until(() => refused !== undefined);
    expect(refused?.problem.detail).toContain('expired');
  });
});
