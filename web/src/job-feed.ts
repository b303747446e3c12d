/**
 * The user's jobs as the page knows them, kept fresh from three sources: the job list (polled every few seconds,
 * so jobs submitted from the CLI or another tab appear), the WebSocket (live progress of every unfinished job) and,
 * while the socket is down, polling of each unfinished job. When the socket comes back, every unfinished job is
 * subscribed again. Views listen to its events and never talk to each other.
 */
import { ApiError, type ApiClient } from '../../client/api-client.ts';
import { connectProgress, type ProgressConnection, type ProgressConnectionOptions } from '../../client/ws-client.ts';
import type { JobListItem, JobStatus, JobView, ProgressMessage } from '../../client/types.ts';
import type { LeaderboardMessage } from '../../client/leaderboard-types.ts';

/** The server's answer to a board watch: watching, or refused with its code and sentence. */
export type BoardWatchAnswer = { board: string; watching: true } | { board: string; watching: false; code: string; message: string };

export type SocketState = 'connecting' | 'live' | 'down';

export interface JobFeedOptions {
  api: ApiClient;
  wsUrl: string;
  token: () => string;
  /** @default 3000 */
  listIntervalMs?: number;
  /** Per-job polling while the socket is down. @default 1500 */
  pollIntervalMs?: number;
  /** A 401 from the API: the session is over. */
  onUnauthorized: (error: ApiError) => void;
  /** @default globalThis.WebSocket (tests hand in a fake) */
  WebSocket?: ProgressConnectionOptions['WebSocket'];
}

export type FeedJob = JobListItem;

const TERMINAL: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'cancelled']);
export const isTerminal = (status: JobStatus): boolean => TERMINAL.has(status);

export class JobFeed extends EventTarget {
  readonly jobs = new Map<string, FeedJob>();
  /** Job ids newest first, as the list returned them (plus jobs submitted here before the next list). */
  order: string[] = [];
  socketState: SocketState = 'connecting';
  listError: string | undefined;
  /** Where the next page of older jobs starts (null: none left; undefined: not known yet). */
  olderCursor: string | null | undefined;
  private socket: ProgressConnection | undefined;
  /** Boards a view watches; watched again on every new socket, like unfinished jobs. */
  private readonly boards = new Set<string>();
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private reconnectDelayMs = 1000;
  private stopped = false;
  private polling = false;
  /** Per queued job, when the place last applied was read (a push's positionAt): older places arriving late are dropped. */
  private readonly positionAt = new Map<string, string>();
  private readonly options: Required<Omit<JobFeedOptions, 'onUnauthorized' | 'WebSocket'>> & Pick<JobFeedOptions, 'onUnauthorized' | 'WebSocket'>;

  constructor(options: JobFeedOptions) {
    super();
    this.options = { listIntervalMs: 3000, pollIntervalMs: 1500, ...options };
  }

  start(): void {
    this.connect();
    void this.refreshList();
    this.timers.push(globalThis.setInterval(() => void this.refreshList(), this.options.listIntervalMs));
    this.timers.push(globalThis.setInterval(() => void this.pollUnfinished(), this.options.pollIntervalMs));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) globalThis.clearInterval(t);
    this.socket?.close();
  }

  /** Follows one job (a job opened by its address may be older than the list's first page). */
  async track(jobId: string): Promise<JobView> {
    const job = await this.options.api.getJob(jobId);
    this.merge(job, Date.parse(job.updatedAt));
    if (!this.order.includes(jobId)) this.order = [jobId, ...this.order];
    if (!isTerminal(job.status)) this.socket?.subscribe(jobId);
    this.changed(jobId);
    return job;
  }

  /** Reads the next page of older jobs into the list (the polled first page only holds the newest 50). */
  async loadOlder(): Promise<void> {
    if (this.olderCursor === null || this.olderCursor === undefined) return;
    const page = await this.options.api.listJobs({ limit: 50, cursor: this.olderCursor });
    for (const item of page.items) this.merge(item, Date.parse(item.updatedAt));
    this.olderCursor = page.nextCursor;
    this.order = this.sorted([...this.order, ...page.items.map((j) => j.jobId).filter((id) => !this.order.includes(id))]);
    this.changed(undefined);
  }

  /**
   * Pushes the board's new entries as 'leaderboard' events (detail: the message) until unwatchBoard. The server's
   * answer to each watch (this one, and the one sent again after every reconnect) comes as a 'board-watch' event
   * (detail: BoardWatchAnswer): refused (too many subscriptions on the connection, or no such board) or watching.
   */
  watchBoard(board: string): void {
    this.boards.add(board);
    this.socket?.watchBoard(board);
  }

  unwatchBoard(board: string): void {
    this.boards.delete(board);
    this.socket?.unwatchBoard(board);
  }

  async cancel(jobId: string): Promise<void> {
    const job = await this.options.api.cancel(jobId);
    this.merge(job, Date.parse(job.updatedAt));
    this.changed(jobId);
  }

  private connect(): void {
    if (this.stopped) return;
    // After a drop the page stays 'down' (polling) through reconnect attempts, until one opens.
    if (this.socketState !== 'down') this.setSocketState('connecting');
    const socket = connectProgress({
      wsUrl: this.options.wsUrl,
      token: this.options.token(),
      ...(this.options.WebSocket !== undefined ? { WebSocket: this.options.WebSocket } : {}),
      onOpen: () => {
        this.reconnectDelayMs = 1000;
        this.setSocketState('live');
      },
      onMessage: (message) => this.onMessage(message),
      onClose: () => {
        if (this.socket !== socket) return;
        this.socket = undefined;
        if (this.stopped) return;
        this.setSocketState('down');
        // Back off so a server that refuses us (an expired token) is not hammered; polling carries on meanwhile.
        const delay = this.reconnectDelayMs;
        this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, 5000);
        globalThis.setTimeout(() => this.connect(), delay);
      },
    });
    this.socket = socket;
    // Subscriptions made before the socket opens are sent when it opens (client/ws-client.ts).
    for (const [jobId, job] of this.jobs) if (!isTerminal(job.status)) socket.subscribe(jobId);
    for (const board of this.boards) socket.watchBoard(board);
  }

  private setSocketState(state: SocketState): void {
    if (this.socketState === state) return;
    this.socketState = state;
    this.dispatchEvent(new Event('socket'));
  }

  private onMessage(message: ProgressMessage): void {
    const board = message as unknown as LeaderboardMessage;
    if (board.type === 'leaderboard') {
      if (this.boards.has(board.board)) this.dispatchEvent(new CustomEvent<LeaderboardMessage>('leaderboard', { detail: board }));
      return;
    }
    const answer = message as unknown as { type: string; board?: unknown; code?: unknown; message?: unknown };
    if ((answer.type === 'watching' || answer.type === 'error') && typeof answer.board === 'string') {
      if (!this.boards.has(answer.board)) return;
      const detail: BoardWatchAnswer =
        answer.type === 'watching'
          ? { board: answer.board, watching: true }
          : { board: answer.board, watching: false, code: String(answer.code), message: String(answer.message ?? '') };
      this.dispatchEvent(new CustomEvent<BoardWatchAnswer>('board-watch', { detail }));
      return;
    }
    if (message.type === 'snapshot') {
      const { positionAt, ...job } = message.job;
      this.merge(this.newerPlace(job, positionAt), Date.parse(job.updatedAt));
      this.changed(job.jobId);
    } else if (message.type === 'progress') {
      const current = this.jobs.get(message.jobId);
      if (current === undefined) return; // a job we never listed: the next list brings all of it
      const { type: _type, at, positionAt, ...fields } = message;
      this.merge({ ...current, ...this.newerPlace(fields, positionAt), updatedAt: at }, Date.parse(at));
      this.changed(message.jobId);
    }
  }

  /**
   * A queued job's place and ETA only if read no earlier than the last place applied: queue refreshes of one job carry
   * its same `at` and two can post in either order (docs/fan-out.md), so `at` cannot order them but positionAt can.
   * Without positionAt (the job's own stream record, a GET) the fields apply as they are.
   */
  private newerPlace<T extends Pick<FeedJob, 'jobId' | 'status' | 'queuePosition' | 'etaSeconds'>>(fields: T, positionAt: string | undefined): T {
    if (fields.status !== 'queued' || positionAt === undefined) return fields;
    const last = this.positionAt.get(fields.jobId);
    if (last !== undefined && positionAt < last) {
      const { queuePosition: _place, etaSeconds: _eta, ...rest } = fields;
      return rest as T;
    }
    this.positionAt.set(fields.jobId, positionAt);
    return fields;
  }

  /**
   * Keeps the newest state of a job whichever source brought it: an answer that left the server before a pushed
   * update must not move a bar back, and a finished job never becomes unfinished again.
   */
  private merge(job: FeedJob, at: number): void {
    const current = this.jobs.get(job.jobId);
    const wasTerminal = current !== undefined && isTerminal(current.status);
    if (current !== undefined) {
      if (wasTerminal && !isTerminal(job.status)) return;
      if (!isTerminal(job.status) && at < Date.parse(current.updatedAt)) return;
      if (!isTerminal(job.status) && job.status === current.status && job.progress < current.progress) return;
    }
    const next: FeedJob = { ...current, ...job };
    this.jobs.set(job.jobId, next);
    if (isTerminal(next.status)) {
      this.socket?.unsubscribe(job.jobId);
      if (!wasTerminal && current !== undefined) this.dispatchEvent(new CustomEvent('finished', { detail: next }));
    } else {
      this.socket?.subscribe(job.jobId);
    }
  }

  private changed(jobId: string | undefined): void {
    this.dispatchEvent(new CustomEvent('change', { detail: jobId }));
  }

  private async refreshList(): Promise<void> {
    try {
      const page = await this.options.api.listJobs({ limit: 50 });
      const listed = page.items.map((j) => j.jobId);
      for (const item of page.items) this.merge(item, Date.parse(item.updatedAt));
      const extra = this.order.filter((id) => !listed.includes(id));
      this.order = this.sorted([...listed, ...extra]);
      // The first answer says whether older jobs exist; later ones would move the cursor under pages already read.
      if (this.olderCursor === undefined) this.olderCursor = page.nextCursor;
      this.listError = undefined;
      this.changed(undefined);
    } catch (error) {
      this.onError(error);
    }
  }

  private sorted(ids: string[]): string[] {
    return ids.sort((a, b) => Date.parse(this.jobs.get(b)?.createdAt ?? '') - Date.parse(this.jobs.get(a)?.createdAt ?? ''));
  }

  /** While the socket is down, the unfinished jobs are read one by one, so their bars keep moving. */
  private async pollUnfinished(): Promise<void> {
    if (this.socketState === 'live' || this.polling) return;
    this.polling = true;
    try {
      const unfinished = [...this.jobs.values()].filter((j) => !isTerminal(j.status)).slice(0, 20);
      await Promise.all(
        unfinished.map(async (j) => {
          const job = await this.options.api.getJob(j.jobId);
          this.merge(job, Date.parse(job.updatedAt));
          this.changed(j.jobId);
        }),
      );
    } catch (error) {
      this.onError(error);
    } finally {
      this.polling = false;
    }
  }

  private onError(error: unknown): void {
    if (error instanceof ApiError && error.status === 401) {
      this.options.onUnauthorized(error);
      return;
    }
    const text = error instanceof Error ? error.message : String(error);
    if (this.listError !== text) {
      this.listError = text;
      this.changed(undefined);
    }
  }
}
