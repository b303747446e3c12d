import cliProgress from 'cli-progress';
import { ApiUnreachableError, type ApiClient } from '../client/api-client.ts';
import type { JobStatus, JobView, ProgressMessage } from '../client/types.ts';
import { connectProgress, type ProgressConnection, type ProgressConnectionOptions } from '../client/ws-client.ts';
import { CliError, EXIT } from './errors.ts';
import type { Output } from './output.ts';

const TERMINAL: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'cancelled']);
export const isTerminal = (status: JobStatus): boolean => TERMINAL.has(status);

interface Update {
  status: JobStatus;
  progress: number;
  message: string;
  queuePosition?: number;
  etaSeconds?: number;
}

/** Shows progress: a bar on a terminal, one plain line per change otherwise, nothing with --json. */
interface ProgressView {
  update(update: Update): void;
  stop(): void;
}

function progressView(out: Output, jobId: string): ProgressView {
  if (out.json) return { update: () => undefined, stop: () => undefined };
  if (out.tty) {
    const bar = new cliProgress.SingleBar(
      { format: ' {bar} {percentage}% | {status} {message}', hideCursor: true, stream: out.stdout, clearOnComplete: false, barsize: 30 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(100, 0, { status: 'queued', message: '' });
    return {
      update: (u) => bar.update(Math.round(u.progress * 100), { status: u.status, message: describe(u) }),
      stop: () => bar.stop(),
    };
  }
  let last = '';
  return {
    update: (u) => {
      // One line per visible change (whole percent, status or message), so a log stays readable.
      const text = `${u.status.padEnd(9)} ${String(Math.round(u.progress * 100)).padStart(3)}%  ${describe(u)}`.trimEnd();
      if (text === last) return;
      last = text;
      out.line(`${new Date().toISOString().slice(11, 19)} ${jobId} ${text}`);
    },
    stop: () => undefined,
  };
}

function describe(u: Update): string {
  if (u.status === 'queued' && u.queuePosition !== undefined) return `${u.message ? `${u.message}; ` : ''}${u.queuePosition} ahead${u.etaSeconds !== undefined ? `, ~${u.etaSeconds} s` : ''}`;
  return u.message;
}

export interface FollowOptions {
  api: ApiClient;
  jobId: string;
  wsUrl?: string;
  token: string;
  out: Output;
  /** How often to poll GET /backtests/{id} once the socket is gone. @default 1000 */
  pollMs?: number;
  /** While the socket is up, a GET now and then anyway, so a lost push cannot leave the CLI waiting. @default 15000 */
  safetyPollMs?: number;
  /** @default globalThis.WebSocket (tests hand in a fake) */
  WebSocket?: ProgressConnectionOptions['WebSocket'];
}

/**
 * Follows a job to its end: WebSocket pushes while the socket is up (bar or lines), then polling GET /backtests/{id}
 * if the socket cannot open or drops (said once on stderr). Resolves to the final job view, fetched over HTTP so the
 * result summary is complete. Ctrl-C stops watching, not the job.
 */
export async function followJob(options: FollowOptions): Promise<JobView> {
  const { api, jobId, out } = options;
  const pollMs = options.pollMs ?? 1000;
  const view = progressView(out, jobId);
  let socket: ProgressConnection | undefined;
  let timer: NodeJS.Timeout | undefined;
  let settled = false;
  let latestAt = '';
  // The newest queue place applied and when it was read: queue refreshes of one job all carry its same `at` and can
  // arrive out of order (docs/fan-out.md), so their positionAt decides which place is newer.
  let place: { positionAt: string; queuePosition?: number; etaSeconds?: number } | undefined;

  const result = new Promise<void>((resolve, reject) => {
    const finish = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      socket?.close();
      view.stop();
      process.off('SIGINT', onInterrupt);
      if (error) reject(error);
      else resolve();
    };
    const apply = (u: Update, at: string, positionAt?: string): void => {
      // The snapshot and the pushes are not ordered with each other: keep the newest (docs/decisions.md). A terminal
      // state always applies: writers on several workers stamp updatedAt before their write lands, so the final write
      // can carry an older stamp than one stored before it (a fanned-out sweep's cancel did), and dropping it would
      // leave the CLI waiting forever, its safety polls dropped too (the web app's job feed has the same rule).
      if (at && at < latestAt && !isTerminal(u.status)) return;
      if (at) latestAt = at;
      if (u.status === 'queued' && positionAt !== undefined) {
        // An older place arriving late keeps the newer one on screen; the rest of the update applies as before.
        if (place !== undefined && positionAt < place.positionAt) u = { ...u, queuePosition: place.queuePosition, etaSeconds: place.etaSeconds };
        else place = { positionAt, queuePosition: u.queuePosition, etaSeconds: u.etaSeconds };
      }
      view.update(u);
      if (isTerminal(u.status)) finish();
    };
    const onInterrupt = (): void => {
      finish(new CliError(`Stopped watching; job ${jobId} goes on (\`backtest watch ${jobId}\` follows it again, \`backtest cancel ${jobId}\` stops it).`, EXIT.interrupted));
    };
    process.on('SIGINT', onInterrupt);

    let failures = 0;
    const poll = async (): Promise<void> => {
      if (settled) return;
      try {
        const job = await api.getJob(jobId);
        failures = 0;
        apply({ status: job.status, progress: job.progress, message: job.message, queuePosition: job.queuePosition, etaSeconds: job.etaSeconds }, job.updatedAt);
      } catch (error) {
        // A restarting stack or a flaky network: a few misses are fine, a service that stays away is an error.
        if (!(error instanceof ApiUnreachableError) || ++failures >= 5) return finish(error);
      }
      schedule(polling ? pollMs : (options.safetyPollMs ?? 15_000));
    };
    // One timer at a time drives the polls, whether they are the safety net or the fallback.
    const schedule = (ms: number): void => {
      if (settled) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => void poll(), ms);
    };
    let polling = false;
    const startPolling = (why: string): void => {
      if (settled || polling) return;
      polling = true;
      out.note(`${why}; following job ${jobId} by polling GET /backtests/${jobId} every ${pollMs / 1000} s`);
      const open = socket;
      socket = undefined;
      open?.close();
      schedule(0);
    };

    if (options.wsUrl === undefined) {
      startPolling('no WebSocket URL (--ws or BACKTEST_WS_URL)');
      return;
    }
    let opened = false;
    socket = connectProgress({
      wsUrl: options.wsUrl,
      token: options.token,
      ...(options.WebSocket !== undefined ? { WebSocket: options.WebSocket } : {}),
      onOpen: () => {
        opened = true;
      },
      onMessage: (message: ProgressMessage) => {
        if (message.type === 'snapshot' && message.job.jobId === jobId) {
          const j = message.job;
          apply({ status: j.status, progress: j.progress, message: j.message, queuePosition: j.queuePosition, etaSeconds: j.etaSeconds }, j.updatedAt, j.positionAt);
        } else if (message.type === 'progress' && message.jobId === jobId) {
          apply(message, message.at, message.positionAt);
        } else if (message.type === 'error' && (message.jobId === undefined || message.jobId === jobId)) {
          if (message.code === 'not_found') finish(new CliError(`Job ${jobId} was not found (or is not yours).`, EXIT.notFound));
          else startPolling(`the WebSocket answered ${message.code}${message.message ? ` (${message.message})` : ''}`);
        }
      },
      onClose: ({ code }) => {
        if (!settled) startPolling(opened ? `the WebSocket closed (code ${code})` : `the WebSocket at ${options.wsUrl} did not open (code ${code})`);
      },
    });
    socket.subscribe(jobId);
    schedule(options.safetyPollMs ?? 15_000);
  });
  await result;
  return api.getJob(jobId);
}
