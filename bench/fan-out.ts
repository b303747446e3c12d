/**
 * Issue 9 on the local stack: a pro 5,000-combination sweep over a year of one-minute bars (SYNTH, 2024: 110,040
 * bars, 550 M bar evaluations, fanned out in chunks on the pro queue), and 2 s after it another pro user's small job.
 * Reports the sweep's wall time (submit to succeeded) and the small job's wait (submit to start).
 *
 *   npx node bench/fan-out.ts [--threads 1|2] [--fair on|off] [--json]
 *
 * Needs Java (DynamoDB Local), as `npm start` does. The e2e test test/e2e/fan-out.test.ts runs the same scenario.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { errorsOnlyLogger } from '../local/http-util.ts';
import { startLocalStack, type LocalStack } from '../local/stack.ts';

export const BIG_SWEEP = {
  strategyId: 'sma-cross',
  params: { fast: { from: 1, to: 50, step: 1 }, slow: { from: 51, to: 150, step: 1 } },
  symbol: 'SYNTH-FANOUT',
  timeframe: '1m',
  startDate: '2024-01-01',
  endDate: '2024-12-31',
} as const;

export const SMALL_JOB = { strategyId: 'sma-cross', params: { fast: 10, slow: 30 }, symbol: 'SYNTH-FANOUT', timeframe: '1d', startDate: '2015-01-01', endDate: '2024-12-31' } as const;

export interface FanOutRun {
  threads: number;
  fair: boolean;
  combinations: number;
  barEvaluations: number;
  chunks: number;
  credits: number;
  /** The dry run's ETA before submitting, seconds. */
  dryRunEtaSeconds: number;
  /** Submit of the sweep to its `succeeded`, seconds. */
  sweepWallSeconds: number;
  /** Submit of the small job to its `startedAt`, seconds. */
  smallWaitSeconds: number;
  /** Progress values the sweep's GET view showed, in order (to check they never go back). */
  progressSeen: number[];
  /** etaSeconds the sweep's view carried while running (first few). */
  etaSeen: number[];
  sweep: { status: string; params: unknown; top0: unknown; chunksDone?: number };
}

async function call(stack: LocalStack, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${stack.httpUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Runs the scenario on a stack the caller started (pro threads and fairness as it was started with). */
export async function runFanOutScenario(stack: LocalStack, meta: { threads: number; fair: boolean }, timeoutMs = 600_000): Promise<FanOutRun> {
  const suffix = randomBytes(3).toString('hex');
  const a = await stack.token({ userId: `sweeper-${suffix}`, tier: 'pro' });
  const b = await stack.token({ userId: `small-${suffix}`, tier: 'pro' });

  const dry = await call(stack, a, 'POST', '/backtests?dryRun=true', BIG_SWEEP);
  if (dry.status !== 200) throw new Error(`dry run answered ${dry.status}: ${JSON.stringify(dry.body)}`);

  const t0 = Date.now();
  const submitted = await call(stack, a, 'POST', '/backtests', BIG_SWEEP);
  if (submitted.status !== 202) throw new Error(`sweep submit answered ${submitted.status}: ${JSON.stringify(submitted.body)}`);
  const sweepId: string = submitted.body.jobId;

  const progressSeen: number[] = [];
  const etaSeen: number[] = [];
  let smallId: string | undefined;
  let smallSubmittedAt = 0;
  let smallStartedAt: number | undefined;
  let sweepDoneAt: number | undefined;
  let sweep: any;
  while (Date.now() - t0 < timeoutMs) {
    if (smallId === undefined && Date.now() - t0 >= 2000) {
      smallSubmittedAt = Date.now();
      const res = await call(stack, b, 'POST', '/backtests', SMALL_JOB);
      if (res.status !== 202) throw new Error(`small submit answered ${res.status}`);
      smallId = res.body.jobId;
    }
    if (smallId !== undefined && smallStartedAt === undefined) {
      const small = (await call(stack, b, 'GET', `/backtests/${smallId}`)).body;
      if (small.startedAt) smallStartedAt = Date.parse(small.startedAt);
    }
    if (sweepDoneAt === undefined) {
      sweep = (await call(stack, a, 'GET', `/backtests/${sweepId}`)).body;
      progressSeen.push(sweep.progress);
      if (sweep.status === 'running' && typeof sweep.etaSeconds === 'number' && etaSeen.length < 20) etaSeen.push(sweep.etaSeconds);
      if (sweep.status === 'succeeded' || sweep.status === 'failed' || sweep.status === 'cancelled') sweepDoneAt = Date.now();
    }
    if (sweepDoneAt !== undefined && smallStartedAt !== undefined) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  if (sweepDoneAt === undefined || smallStartedAt === undefined) throw new Error(`the scenario did not finish in ${timeoutMs / 1000} s`);
  return {
    ...meta,
    combinations: dry.body.combinations,
    barEvaluations: dry.body.barEvaluations,
    chunks: dry.body.chunks,
    credits: dry.body.credits,
    dryRunEtaSeconds: dry.body.etaSeconds,
    sweepWallSeconds: (sweepDoneAt - t0) / 1000,
    smallWaitSeconds: (smallStartedAt - smallSubmittedAt) / 1000,
    progressSeen,
    etaSeen,
    sweep: { status: sweep.status, params: sweep.result?.params, top0: sweep.result?.sweep?.top?.[0]?.params, chunksDone: sweep.chunksDone },
  };
}

/** A local stack for the scenario: `threads` pro worker threads, as many pro slots (at least 2), fairness on or off. */
export function startFanOutStack(threads: number, fair: boolean, extra: Partial<Parameters<typeof startLocalStack>[0]> = {}): Promise<LocalStack> {
  // The pollers run in this process and read it when they start (local/sqs-poller.ts).
  process.env.LOCAL_FAIR_QUEUES = fair ? 'on' : 'off';
  return startLocalStack({
    httpPort: 0,
    wsPort: 0,
    workerThreads: { free: 1, basic: 1, pro: threads },
    concurrency: { pro: Math.max(2, threads) },
    log: errorsOnlyLogger,
    extraEnv: { LOG_LEVEL: 'ERROR' },
    ...extra,
  });
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { threads: { type: 'string', default: '2' }, fair: { type: 'string', default: 'on' }, json: { type: 'boolean', default: false } } });
  const threads = Number(values.threads);
  const fair = values.fair !== 'off';
  const stack = await startFanOutStack(threads, fair, { prefix: `bench-fanout-${randomBytes(3).toString('hex')}-` });
  try {
    const run = await runFanOutScenario(stack, { threads, fair });
    if (values.json) console.log(JSON.stringify(run));
    else {
      console.log(`pro threads ${threads}, fair queues ${fair ? 'on' : 'off'}`);
      console.log(`sweep: ${run.combinations} combinations x ${run.barEvaluations / run.combinations} bars = ${run.barEvaluations} bar evaluations, ${run.chunks} chunks, ${run.credits} credits`);
      console.log(`sweep wall time ${run.sweepWallSeconds.toFixed(1)} s (dry-run ETA ${run.dryRunEtaSeconds} s), ${run.sweep.status}, best ${JSON.stringify(run.sweep.params)}`);
      console.log(`small job's wait (submit to start) ${run.smallWaitSeconds.toFixed(1)} s`);
    }
  } finally {
    await stack.stop();
  }
}
