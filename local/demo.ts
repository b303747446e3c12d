import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { startLocalStack, type LocalStack } from './stack.ts';
import { loadOrCreateKeys, signToken } from './keys.ts';
import { errorsOnlyLogger } from './http-util.ts';
import { readStackFile } from './stack-file.ts';
import { TIERS, TIER_SETTINGS, type Tier } from '../lambdas/core/tiers.ts';

/**
 * `npm run demo`: one sweep per tier, live progress bars from the WebSocket, then the results. Talks to the stack
 * at BACKTEST_HTTP_URL / BACKTEST_WS_URL, else to a running `npm start` (found through .local/stack.json; tokens are
 * signed with the same local key), else starts a private stack on free ports and stops it at the end.
 */

/** Each tier gets the biggest grid it may submit (maxCombinations) on 55 years of synthetic daily bars. */
const GRIDS: Record<Tier, { fast: { from: number; to: number; step: number }; slow: { from: number; to: number; step: number } }> = {
  free: { fast: { from: 2, to: 20, step: 2 }, slow: { from: 50, to: 230, step: 20 } }, // 10 x 10
  basic: { fast: { from: 2, to: 41, step: 1 }, slow: { from: 50, to: 290, step: 10 } }, // 40 x 25
  pro: { fast: { from: 2, to: 81, step: 1 }, slow: { from: 100, to: 298, step: 4 } }, // 80 x 50
};

interface Row {
  tier: Tier;
  jobId: string;
  status: string;
  progress: number;
  message: string;
  updates: number;
  /** Time of the newest state shown. */
  at?: string;
}

async function main(): Promise<void> {
  const running = readStackFile();
  const external =
    process.env.BACKTEST_HTTP_URL !== undefined && process.env.BACKTEST_WS_URL !== undefined
      ? { httpUrl: process.env.BACKTEST_HTTP_URL, wsUrl: process.env.BACKTEST_WS_URL }
      : running;
  let stack: LocalStack | undefined;
  let httpUrl: string;
  let wsUrl: string;
  if (external !== undefined) {
    httpUrl = external.httpUrl.replace(/\/$/, '');
    wsUrl = external.wsUrl.replace(/\/$/, '');
    console.log(`Using the running stack at ${httpUrl} and ${wsUrl}`);
  } else {
    console.log('Starting a local stack for the demo (set BACKTEST_HTTP_URL and BACKTEST_WS_URL to use a running one)...');
    stack = await startLocalStack({ httpPort: 0, wsPort: 0, prefix: `demo-${randomBytes(3).toString('hex')}`, log: errorsOnlyLogger, extraEnv: { LOG_LEVEL: 'ERROR' } });
    httpUrl = stack.httpUrl;
    wsUrl = stack.wsUrl;
  }
  const keys = await loadOrCreateKeys();
  const run = randomBytes(3).toString('hex');
  try {
    const rows: Row[] = [];
    const sockets: WebSocket[] = [];
    const done = new Map<Tier, Promise<void>>();
    const started = Date.now();
    for (const tier of TIERS) {
      // A fresh user per run: the free tier allows 3 submissions a day per user.
      const token = await signToken(keys, { userId: `demo-${tier}-${run}`, tier });
      const socket = await openSocket(`${wsUrl}/?token=${encodeURIComponent(token)}`);
      sockets.push(socket);
      const grid = GRIDS[tier];
      const res = await fetch(`${httpUrl}/backtests`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ strategyId: 'sma-cross', params: grid, symbol: 'SYNTH-DEMO', timeframe: '1d', startDate: '1971-01-01', endDate: '2025-06-30', sweep: { metric: 'sharpe', top: 3 } }),
      });
      const body = (await res.json()) as { jobId?: string; combinations?: number; detail?: string };
      if (res.status !== 202 || body.jobId === undefined) throw new Error(`submit for ${tier} answered ${res.status}: ${JSON.stringify(body)}`);
      const row: Row = { tier, jobId: body.jobId, status: 'queued', progress: 0, message: `${body.combinations} combinations`, updates: 0 };
      rows.push(row);
      done.set(tier, follow(socket, row, token));
      socket.send(JSON.stringify({ action: 'subscribe', jobId: body.jobId }));
    }
    const stopDrawing = drawLoop(rows);
    await Promise.all(done.values());
    stopDrawing();
    for (const socket of sockets) socket.close();
    console.log(`\nAll done in ${((Date.now() - started) / 1000).toFixed(1)} s. Results (full result: GET ${httpUrl}/backtests/{jobId}):\n`);
    for (const row of rows) await printResult(httpUrl, row, await signToken(keys, { userId: `demo-${row.tier}-${run}`, tier: row.tier }));
  } finally {
    await stack?.stop();
  }
}

function openSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_req, res) => reject(new Error(`WebSocket upgrade refused: ${res.statusCode}`)));
    socket.once('error', reject);
  });
}

/** Updates the row from the socket until the job is finished. */
function follow(socket: WebSocket, row: Row, _token: string): Promise<void> {
  return new Promise((resolve) => {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; jobId?: string; status?: string; progress?: number; message?: string; at?: string; job?: { status: string; progress: number; message: string; updatedAt?: string } };
      const update = message.type === 'snapshot' ? message.job : message.type === 'progress' && message.jobId === row.jobId ? message : undefined;
      if (update === undefined) return;
      // The snapshot and the stream's pushes travel separately, so an older state can arrive after a newer one.
      const at = 'updatedAt' in update ? update.updatedAt : (update as { at?: string }).at;
      if (at !== undefined && row.at !== undefined && at < row.at) return;
      if (['succeeded', 'failed', 'cancelled'].includes(row.status)) return;
      row.at = at ?? row.at;
      row.status = update.status ?? row.status;
      row.progress = Math.max(row.progress, update.progress ?? 0);
      row.message = update.message ?? row.message;
      row.updates += 1;
      if (['succeeded', 'failed', 'cancelled'].includes(row.status)) resolve();
    });
  });
}

/** Redraws the bars in place on a terminal; prints a line per change elsewhere (CI logs). */
function drawLoop(rows: Row[]): () => void {
  const tty = process.stdout.isTTY === true;
  let drawn = false;
  let lastPlain = '';
  const draw = (): void => {
    const lines = rows.map((r) => {
      const width = 30;
      const filled = Math.round(r.progress * width);
      const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
      const concurrency = TIER_SETTINGS[r.tier].maxConcurrency;
      return `${r.tier.padEnd(5)} (x${String(concurrency).padEnd(2)}) [${bar}] ${(r.progress * 100).toFixed(0).padStart(3)}%  ${r.status.padEnd(9)} ${r.message.slice(0, 50)}`;
    });
    if (tty) {
      if (drawn) process.stdout.write(`\x1b[${lines.length}A`);
      process.stdout.write(lines.map((l) => `\x1b[2K${l}`).join('\n') + '\n');
      drawn = true;
    } else {
      const plain = lines.join('\n');
      if (plain !== lastPlain) console.log(`${plain}\n`);
      lastPlain = plain;
    }
  };
  draw();
  const timer = setInterval(draw, tty ? 100 : 500);
  return () => {
    clearInterval(timer);
    draw();
  };
}

async function printResult(httpUrl: string, row: Row, token: string): Promise<void> {
  const res = await fetch(`${httpUrl}/backtests/${row.jobId}`, { headers: { authorization: `Bearer ${token}` } });
  const job = (await res.json()) as {
    status: string;
    createdAt: string;
    startedAt?: string;
    finishedAt?: string;
    combinations: number;
    error?: { message: string };
    result?: { params: Record<string, unknown>; stats: Record<string, number | null>; tradesTotal: number; sweep?: { metric: string; top: { params: Record<string, unknown>; metric: number | null }[] } };
  };
  const wait = job.startedAt ? (Date.parse(job.startedAt) - Date.parse(job.createdAt)) / 1000 : 0;
  const ran = job.startedAt && job.finishedAt ? (Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000 : 0;
  console.log(`${row.tier.padEnd(5)} ${row.jobId}  ${job.status}: ${job.combinations} combinations, waited ${wait.toFixed(1)} s, ran ${ran.toFixed(1)} s, ${row.updates} live updates`);
  if (job.result) {
    const s = job.result.stats;
    const fmt = (v: number | null | undefined, digits = 2): string => (typeof v === 'number' ? v.toFixed(digits) : 'n/a');
    console.log(`      best ${JSON.stringify(job.result.params)}: return ${fmt(s.returnPct)} %, sharpe ${fmt(s.sharpe)}, max drawdown ${fmt(s.maxDrawdownPct)} %, ${job.result.tradesTotal} trades (buy & hold ${fmt(s.buyHoldReturnPct)} %)`);
  } else if (job.error) {
    console.log(`      ${job.error.message}`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
    process.exit(1);
  },
);
