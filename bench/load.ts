import { randomBytes } from 'node:crypto';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { defaultWorkerThreads, REPO_ROOT } from '../local/stack.ts';
import { readLocalConfig } from '../local/config.ts';
import { loadOrCreateKeys, signToken, type LocalKeys } from '../local/keys.ts';
import { readStackFile } from '../local/stack-file.ts';
import { startStackProcess, type StackProcess } from './stack-process.ts';
import { TIERS, type Tier } from '../lambdas/core/tiers.ts';
import { millis, seconds, seededRandom, summarize, table } from './load-stats.ts';
import { calibrate, planOnStack, scenarioJobBody, scenarioSchedule, SCENARIOS, type Calibration, type Scenario, type ScenarioName } from './load-scenarios.ts';
import { measureStackCapacity } from './load-stack-capacity.ts';
import { waitChartSvg } from './load-chart.ts';
import { writeFileSync } from 'node:fs';

/**
 * `npm run load [-- --duration 60 --users free=60,basic=25,pro=15 --every free=20,basic=6,pro=4]`: the design's goals
 * (100 concurrent users, mean queue wait < 30 s, progress delay < 2 s, paid tiers first) measured under contention.
 * Simulated users, each with its own token and WebSocket, submit single backtests and small sweeps on SYNTH-* symbols
 * at a bounded rate for a bounded time, follow their jobs live, and the run ends when every job is terminal or at the
 * hard timeout. Starts its own `npm start` on free ports in a child process (stopped at the end), so the load
 * generator's event loop is not the stack's, unless `--use-running` is given (a running `npm start`).
 *
 * `--scenario steady|overload` runs the issue-12 scenarios instead (bench/load-scenarios.ts): 1,000 users submitting
 * every 30-120 s, daily sweeps of about 1-4 s engine time where the tier allows, an offer of `--offer` x the measured
 * capacity (0.7 and 2 by default). `--json FILE` writes every number of the report and each job's timings, `--svg FILE`
 * a chart of queue wait per tier over the run.
 */

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
/** A job terminal over HTTP whose push has not come this long after it finished counts as a missed push. */
const PUSH_GRACE_MS = 5_000;

class LoadOptionsError extends Error {
  override name = 'LoadOptionsError';
}

interface JobRecord {
  tier: Tier;
  userId: string;
  jobId: string;
  kind: 'single' | 'sweep';
  submittedAt: number;
  progressMessages: number;
  /**
   * Delay of each change of the job's row that reached the client: arrival minus the row's `at`, for the first message
   * carrying that `at` (a queue-position refresh of a still-queued job repeats its unchanged row and `at`, so its age
   * says how long the job has queued, not how late a change arrived).
   */
  delaysMs: number[];
  /** Pushes that repeated a row version already seen (queue-position refreshes). */
  repeats: number;
  /** Newest row version (`at` / `updatedAt`, ms) the client has seen. */
  newestAt: number;
  /** Client time the terminal status arrived over the WebSocket (push or snapshot). */
  terminalPushAt?: number;
  /** The job as the API reports it at the end. */
  view?: JobView;
  /** Time the submit request took, ms. */
  submitMs: number;
  /** The subscribe snapshot of a still-queued job carried a queue position and an ETA. */
  queuedSnapshot?: { position: boolean; eta: boolean };
}

interface JobView {
  jobId: string;
  status: string;
  attempts: number;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  finishedAt?: string;
}

interface SimUser {
  tier: Tier;
  userId: string;
  token: string;
  socket: WebSocket;
  jobs: Map<string, JobRecord>;
}

function tierNumbers(flag: string, value: string): Record<Tier, number> {
  const out = {} as Record<Tier, number>;
  for (const pair of value.split(',')) {
    const [tier, n] = pair.split('=');
    if (!TIERS.includes(tier as Tier) || !/^\d+(\.\d+)?$/.test(n ?? '')) throw new LoadOptionsError(`--${flag}: expected free=N,basic=N,pro=N, got ${value}`);
    out[tier as Tier] = Number(n);
  }
  for (const tier of TIERS) if (out[tier] === undefined) throw new LoadOptionsError(`--${flag}: missing ${tier} in ${value}`);
  return out;
}

function positive(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new LoadOptionsError(`--${flag}: must be a positive number, got ${value}`);
  return n;
}

function capacityBasis(value: string): 'stack' | 'engine' {
  if (value !== 'stack' && value !== 'engine') throw new LoadOptionsError(`--capacity: expected stack or engine, got ${value}`);
  return value;
}

function readOptions() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '60' },
      users: { type: 'string' },
      scenario: { type: 'string' },
      offer: { type: 'string' },
      json: { type: 'string' },
      svg: { type: 'string' },
      every: { type: 'string', default: 'free=20,basic=6,pro=4' },
      'sweep-share': { type: 'string', default: '0.5' },
      timeout: { type: 'string', default: '600' },
      seed: { type: 'string', default: '1' },
      'use-running': { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      capacity: { type: 'string', default: 'stack' },
    },
    strict: true,
  });
  const sweepShare = Number(values['sweep-share']);
  if (!(sweepShare >= 0 && sweepShare <= 1)) throw new LoadOptionsError(`--sweep-share: must be from 0 to 1, got ${values['sweep-share']}`);
  let scenario: Scenario | undefined;
  if (values.scenario !== undefined) {
    if (!(values.scenario in SCENARIOS)) throw new LoadOptionsError(`--scenario: expected steady or overload, got ${values.scenario}`);
    scenario = { ...SCENARIOS[values.scenario as ScenarioName] };
    if (values.offer !== undefined) scenario.offer = positive('offer', values.offer);
    if (values.users !== undefined) scenario.users = tierNumbers('users', values.users);
  } else if (values.offer !== undefined) {
    throw new LoadOptionsError('--offer: only with --scenario steady|overload');
  }
  const every = tierNumbers('every', values.every);
  for (const tier of TIERS) if (every[tier] <= 0) throw new LoadOptionsError(`--every: ${tier} must be above 0`);
  return {
    durationMs: positive('duration', values.duration) * 1000,
    users: scenario?.users ?? tierNumbers('users', values.users ?? 'free=60,basic=25,pro=15'),
    scenario,
    jsonFile: values.json,
    svgFile: values.svg,
    everyMs: { free: every.free * 1000, basic: every.basic * 1000, pro: every.pro * 1000 },
    sweepShare,
    timeoutMs: positive('timeout', values.timeout) * 1000,
    seed: Math.trunc(positive('seed', values.seed)),
    useRunning: values['use-running'],
    /** Folder for CPU profiles of the stack process's threads (node --cpu-prof; NODE_OPTIONS may not carry it). */
    cpuProfDir: values['cpu-prof'],
    /** What the scenario's offer is a fraction of: the stack's measured throughput (default) or the engine's alone. */
    capacityBasis: capacityBasis(values.capacity),
  };
}

/**
 * The job mix. A single sma-cross run over 5 years of 1-minute bars (about 545 k bars), or an 8 x 5 = 40 combination
 * sweep over 35 years of hourly bars (about 64 k bars, 2.5 M bar evaluations): both well inside every tier's limits,
 * each a few tenths of a second of one core when the machine is idle.
 */
function jobBody(kind: 'single' | 'sweep', random: () => number): Record<string, unknown> {
  const symbol = `SYNTH-LOAD${Math.floor(random() * 5)}`;
  if (kind === 'single') {
    const fast = 5 + Math.floor(random() * 20);
    return { strategyId: 'sma-cross', params: { fast, slow: fast + 20 + Math.floor(random() * 80) }, symbol, timeframe: '1m', startDate: '2015-01-01', endDate: '2019-12-31' };
  }
  return {
    strategyId: 'sma-cross',
    params: { fast: { from: 5, to: 40, step: 5 }, slow: { from: 50, to: 130, step: 20 } },
    symbol,
    timeframe: '1h',
    startDate: '1990-01-01',
    endDate: '2024-12-31',
    sweep: { metric: 'sharpe', top: 3 },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const now = (): number => performance.timeOrigin + performance.now();

function openSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_req, res) => reject(new Error(`WebSocket upgrade refused: ${res.statusCode}`)));
    socket.once('error', reject);
  });
}

function followSocket(user: SimUser, counters: { wsErrors: number }): void {
  user.socket.on('message', (data) => {
    const arrived = now();
    const message = JSON.parse(String(data)) as { type: string; jobId?: string; status?: string; at?: string; job?: { jobId: string; status: string } };
    if (message.type === 'error') {
      counters.wsErrors += 1;
      return;
    }
    const jobId = message.type === 'snapshot' ? message.job?.jobId : message.jobId;
    const record = jobId === undefined ? undefined : user.jobs.get(jobId);
    if (record === undefined) return;
    const status = message.type === 'snapshot' ? message.job?.status : message.status;
    if (message.type === 'snapshot' && status === 'queued') {
      const job = message.job as { queuePosition?: unknown; etaSeconds?: unknown };
      record.queuedSnapshot = { position: typeof job.queuePosition === 'number', eta: typeof job.etaSeconds === 'number' };
    }
    if (message.type === 'snapshot') {
      const updatedAt = Date.parse((message.job as { updatedAt?: string } | undefined)?.updatedAt ?? '');
      if (Number.isFinite(updatedAt)) record.newestAt = Math.max(record.newestAt, updatedAt);
    }
    if (message.type === 'progress') {
      record.progressMessages += 1;
      const at = message.at === undefined ? Number.NaN : Date.parse(message.at);
      if (Number.isFinite(at) && at > record.newestAt) {
        record.delaysMs.push(arrived - at);
        record.newestAt = at;
      } else {
        record.repeats += 1;
      }
    }
    if (status !== undefined && TERMINAL.has(status) && record.terminalPushAt === undefined) record.terminalPushAt = arrived;
  });
}

async function api<T>(httpUrl: string, token: string, path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(`${httpUrl}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers } });
  return { status: res.status, body: (await res.json()) as T };
}

/** Every job of the user, newest first, through the paged list (compact views, no results). */
async function listAll(httpUrl: string, user: SimUser): Promise<JobView[]> {
  const out: JobView[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const query = `?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const { status, body } = await api<{ items: JobView[]; nextCursor?: string | null }>(httpUrl, user.token, `/backtests${query}`);
    if (status !== 200) throw new Error(`GET /backtests for ${user.userId} answered ${status}`);
    out.push(...body.items);
    if (!body.nextCursor) break;
    cursor = body.nextCursor;
  }
  return out;
}

/** The worker threads `npm start` will run with this environment: one shared pool (a number), or a pool per tier. */
function plannedThreads(): number | Record<Tier, number> {
  const configured = readLocalConfig().LOCAL_WORKER_THREADS;
  if (configured === undefined) return defaultWorkerThreads();
  if (typeof configured === 'number') return configured;
  return { free: configured.free ?? 1, basic: configured.basic ?? 1, pro: configured.pro ?? 1 };
}

async function main(): Promise<void> {
  const options = readOptions();
  const random = seededRandom(options.seed);
  const run = randomBytes(3).toString('hex');

  let calibration: Calibration | undefined;
  if (options.scenario !== undefined) {
    // Before the stack starts, so the measurement has the machine to itself (apart from other users of it).
    const planned = plannedThreads();
    const threadCount = options.useRunning ? Number.POSITIVE_INFINITY : typeof planned === 'number' ? planned : TIERS.reduce((n, t) => n + planned[t], 0);
    console.log('Measuring the job mix on the engine (a few seconds of one core)...');
    calibration = await calibrate(options.scenario, threadCount, seededRandom(options.seed + 1));
    console.log(
      `Engine time per job: ${TIERS.map((t) => `${t} ${calibration!.meanEngineSeconds[t].toFixed(2)} s`).join(', ')}; capacity ${calibration.capacityJobsPerSecond.toFixed(2)} jobs/s on ${calibration.usableCores} cores.\n` +
        `${options.capacityBasis === 'stack' ? 'On the engine alone (the stack\'s own capacity comes next), the' : 'The'} schedule plans ${calibration.plannedJobsPerSecond.toFixed(1)} jobs/s = ${calibration.plannedOffer.toFixed(2)} x capacity (gaps ${calibration.intervalSeconds.min.toFixed(0)}-${calibration.intervalSeconds.max.toFixed(0)} s${calibration.intervalSeconds.max < options.scenario.intervalSeconds.max ? `, shortened from ${options.scenario.intervalSeconds.min}-${options.scenario.intervalSeconds.max} s to reach the offer` : ''}); each submission is made with probability ${calibration.submitProbability.toFixed(3)}, so the offer is ${calibration.offer.toFixed(2)} x capacity.`,
    );
  }
  let stack: StackProcess | undefined;
  let threads: number | Record<Tier, number> | undefined;
  let info = options.useRunning ? readStackFile() : undefined;
  if (options.useRunning && info === undefined) throw new LoadOptionsError('--use-running: no running `npm start` found (.local/stack.json)');
  if (info !== undefined) {
    console.log(`Using the running stack at ${info.httpUrl}`);
  } else {
    threads = plannedThreads();
    console.log('Starting `npm start` on free ports in a child process...');
    stack = await startStackProcess({
      cwd: REPO_ROOT,
      stackFile: join(tmpdir(), `backtest-load-${run}.json`),
      env: { HTTP_PORT: '0', WS_PORT: '0', LOG_LEVEL: 'ERROR' },
      ...(options.cpuProfDir !== undefined ? { execArgv: ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] } : {}),
    });
    info = stack.info;
  }
  const httpUrl = info.httpUrl.replace(/\/$/, '');
  const wsUrl = info.wsUrl.replace(/\/$/, '');
  const stopStack = async (): Promise<void> => {
    const s = stack;
    stack = undefined;
    await s?.stop();
  };
  process.once('SIGINT', () => {
    console.log('\nCtrl-C: stopping...');
    void stopStack().finally(() => process.exit(130));
  });

  const users: SimUser[] = [];
  try {
    const keys: LocalKeys = await loadOrCreateKeys();
    const admin = await signToken(keys, { userId: `load-admin-${run}`, admin: true });
    if (options.scenario !== undefined && calibration !== undefined && options.capacityBasis === 'stack') {
      // Before the users connect and the clock starts: a backlog of the mix, to see what the stack itself finishes.
      console.log('Measuring the stack\'s own capacity for the mix (a backlog of 64 jobs)...');
      const stackCapacity = await measureStackCapacity({ httpUrl, keys, run, scenario: options.scenario, random: seededRandom(options.seed + 2) });
      calibration = planOnStack(options.scenario, calibration.usableCores, calibration, stackCapacity);
      console.log(
        `After its first quarter, the backlog finished ${stackCapacity.jobs} jobs in ${stackCapacity.seconds.toFixed(1)} s: capacity ${calibration.capacityJobsPerSecond.toFixed(2)} jobs/s (the engine alone: ${calibration.engineCapacityJobsPerSecond!.toFixed(2)}).\n` +
          `The schedule plans ${calibration.plannedJobsPerSecond.toFixed(1)} jobs/s = ${calibration.plannedOffer.toFixed(2)} x that (gaps ${calibration.intervalSeconds.min.toFixed(0)}-${calibration.intervalSeconds.max.toFixed(0)} s); each submission is made with probability ${calibration.submitProbability.toFixed(3)}, so the offer is ${calibration.offer.toFixed(2)} x capacity.`,
      );
    }
    const counters = { wsErrors: 0 };
    const { body: overview } = await api<{ tiers: { tier: Tier; maxConcurrency: number }[] }>(httpUrl, admin, '/admin/queues');
    const concurrency = Object.fromEntries(overview.tiers.map((t) => [t.tier, t.maxConcurrency])) as Record<Tier, number>;

    // Distinct user ids per run: the free tier allows 3 submissions per user per UTC day.
    for (const tier of TIERS) {
      for (let i = 0; i < options.users[tier]; i++) {
        const userId = `load-${run}-${tier}-${i}`;
        users.push({ tier, userId, token: await signToken(keys, { userId, tier, ttlSeconds: 7200 }), socket: undefined as unknown as WebSocket, jobs: new Map() });
      }
    }
    for (let i = 0; i < users.length; i += 10) {
      await Promise.all(
        users.slice(i, i + 10).map(async (u) => {
          u.socket = await openSocket(`${wsUrl}/?token=${encodeURIComponent(u.token)}`);
          followSocket(u, counters);
        }),
      );
    }
    const every = (t: Tier): string => (options.scenario ? `${calibration!.intervalSeconds.min.toFixed(0)}-${calibration!.intervalSeconds.max.toFixed(0)} s (kept with p ${calibration!.submitProbability.toFixed(2)})` : `${options.everyMs[t] / 1000} s`);
    const perTier = TIERS.map((t) => `${t} ${options.users[t]} users x 1 job / ${every(t)} (maxConcurrency ${concurrency[t]}${threads !== undefined && typeof threads !== 'number' ? `, ${threads[t]} thread${threads[t] > 1 ? 's' : ''}` : ''})`);
    console.log(`${users.length} users connected. Submitting for ${options.durationMs / 1000} s, ${options.scenario ? `scenario ${options.scenario.name}` : `sweeps ${Math.round(options.sweepShare * 100)} %`}:\n  ${perTier.join('\n  ')}`);

    const loads: number[] = [];
    const maxWaiting: Record<Tier, number> = { free: 0, basic: 0, pro: 0 };
    const maxOldest: Record<Tier, number> = { free: 0, basic: 0, pro: 0 };
    const loadStart = loadavg()[0];
    // The client's own lag: a busy load generator would add it to every delay it measures.
    const clientLag = monitorEventLoopDelay({ resolution: 10 });
    clientLag.enable();
    const sampler = setInterval(() => {
      loads.push(loadavg()[0]);
      void api<{ tiers: { tier: Tier; waiting: number; oldestQueuedAgeSeconds: number | null }[] }>(httpUrl, admin, '/admin/queues').then(
        ({ body }) => {
          for (const t of body.tiers) {
            maxWaiting[t.tier] = Math.max(maxWaiting[t.tier], t.waiting);
            maxOldest[t.tier] = Math.max(maxOldest[t.tier], t.oldestQueuedAgeSeconds ?? 0);
          }
        },
        () => undefined,
      );
    }, 5_000);

    const rejected: Record<Tier, Map<string, number>> = { free: new Map(), basic: new Map(), pro: new Map() };
    const submitLatencies: number[] = [];
    const started = now();
    const deadline = started + options.timeoutMs;
    // Each user gets its own schedule (random phase, fixed period) drawn up front, so the run repeats from --seed.
    const scenario = options.scenario;
    const schedules = users.map((u) => {
      if (scenario !== undefined) {
        return scenarioSchedule(calibration!, options.durationMs, calibration!.submitProbability, random).map((t) => ({ t, kind: 'sweep' as const, body: scenarioJobBody(u.tier, random) as unknown }));
      }
      const period = options.everyMs[u.tier];
      const phase = random() * period;
      const slots = Math.ceil(options.durationMs / period) + 1;
      return Array.from({ length: slots }, (_, k) => phase + k * period)
        .filter((t) => t < options.durationMs)
        .map((t) => ({ t, kind: random() < options.sweepShare ? ('sweep' as const) : ('single' as const), body: undefined as unknown }))
        .map((s) => ({ ...s, body: jobBody(s.kind, random) }));
    });
    await Promise.all(
      users.map(async (user, i) => {
        for (const slot of schedules[i]) {
          await sleep(started + slot.t - now());
          const submittedAt = now();
          try {
            const { status, body } = await api<{ jobId?: string; detail?: string }>(httpUrl, user.token, '/backtests', { method: 'POST', body: JSON.stringify(slot.body) });
            const tookMs = now() - submittedAt;
            submitLatencies.push(tookMs);
            if (status !== 202 || body.jobId === undefined) {
              const key = `${status} ${body.detail ?? ''}`.trim();
              rejected[user.tier].set(key, (rejected[user.tier].get(key) ?? 0) + 1);
              continue;
            }
            user.jobs.set(body.jobId, { tier: user.tier, userId: user.userId, jobId: body.jobId, kind: slot.kind, submittedAt, progressMessages: 0, delaysMs: [], repeats: 0, newestAt: 0, submitMs: tookMs });
            user.socket.send(JSON.stringify({ action: 'subscribe', jobId: body.jobId }));
          } catch (error) {
            const key = `request error: ${error instanceof Error ? error.message : String(error)}`;
            rejected[user.tier].set(key, (rejected[user.tier].get(key) ?? 0) + 1);
          }
        }
      }),
    );
    const submitted = users.reduce((n, u) => n + u.jobs.size, 0);
    const submitMs = now() - started;
    console.log(`Submissions done after ${seconds(now() - started)} s: ${submitted} accepted. Waiting for every job to end (timeout ${options.timeoutMs / 1000} s from the start)...`);

    // Done when every job's terminal status came over the WebSocket, or when the queues are drained (nothing waiting,
    // nothing in flight, retries included) and the pushes have had their grace; the list at the end then tells missed
    // pushes from lost jobs. Only the admin overview is polled meanwhile: polling every user's job list (as this did
    // before) was up to a thousand API calls every few seconds, a load no real client makes (the web app polls only
    // while its socket is down), and it kept the stack's main thread busy, slowing the very progress path measured.
    let lastReport = now();
    let drainedAt: number | undefined;
    while (now() < deadline) {
      const pending = users.reduce((n, u) => n + [...u.jobs.values()].filter((j) => j.terminalPushAt === undefined).length, 0);
      if (pending === 0) break;
      const overview = await api<{ tiers: { waiting: number; inFlight: number }[] }>(httpUrl, admin, '/admin/queues').catch(() => undefined);
      const drained = overview !== undefined && overview.body.tiers.length > 0 && overview.body.tiers.every((t) => t.waiting === 0 && t.inFlight === 0);
      if (!drained) drainedAt = undefined;
      else if ((drainedAt ??= now()) < now() - PUSH_GRACE_MS) break;
      if (now() - lastReport > 15_000) {
        console.log(`  ${seconds(now() - started)} s: ${pending} jobs without a terminal push yet, load ${loadavg()[0].toFixed(1)}`);
        lastReport = now();
      }
      await sleep(1_000);
    }
    clearInterval(sampler);
    clientLag.disable();
    const wall = now() - started;
    for (const user of users) {
      for (const view of await listAll(httpUrl, user)) {
        const record = user.jobs.get(view.jobId);
        if (record) record.view = view;
      }
      user.socket.close();
    }

    report({ users, options, rejected, loads, loadStart, maxWaiting, maxOldest, wall, timedOut: now() >= deadline, wsErrors: counters.wsErrors, submitMs, concurrency, threads, clientLagP99Ms: clientLag.percentile(99) / 1e6, submitLatencies, calibration, started });
  } finally {
    for (const u of users) u.socket?.terminate();
    await stopStack();
  }
}

function report(input: {
  users: SimUser[];
  options: ReturnType<typeof readOptions>;
  rejected: Record<Tier, Map<string, number>>;
  loads: number[];
  loadStart: number;
  maxWaiting: Record<Tier, number>;
  maxOldest: Record<Tier, number>;
  wall: number;
  /** Submissions slip behind schedule when the API answers slowly: each user waits for its previous answer. */
  submitMs: number;
  timedOut: boolean;
  wsErrors: number;
  concurrency: Record<Tier, number>;
  threads: number | Record<Tier, number> | undefined;
  clientLagP99Ms: number;
  submitLatencies: number[];
  calibration: Calibration | undefined;
  started: number;
}): void {
  const { users, rejected } = input;
  const all = users.flatMap((u) => [...u.jobs.values()]);
  const ms = (a?: string, b?: string): number | undefined => (a && b ? Date.parse(b) - Date.parse(a) : undefined);
  const defined = (xs: (number | undefined)[]): number[] => xs.filter((x): x is number => x !== undefined);
  const rows: string[][] = [];
  const queueP95: Partial<Record<Tier, number>> = {};
  const queueMean: Partial<Record<Tier, number>> = {};
  const delayRows: string[][] = [];
  for (const tier of TIERS) {
    const jobs = all.filter((j) => j.tier === tier);
    const done = jobs.filter((j) => j.view && TERMINAL.has(j.view.status));
    const queue = summarize(defined(done.map((j) => ms(j.view!.createdAt, j.view!.startedAt))));
    const runTime = summarize(defined(done.map((j) => ms(j.view!.startedAt, j.view!.finishedAt))));
    const e2e = summarize(defined(done.map((j) => ms(j.view!.createdAt, j.view!.finishedAt))));
    const seen = summarize(defined(done.map((j) => (j.terminalPushAt === undefined ? undefined : j.terminalPushAt - j.submittedAt))));
    const delays = summarize(jobs.flatMap((j) => j.delaysMs));
    queueP95[tier] = queue?.p95;
    queueMean[tier] = queue?.mean;
    const rejectedCount = [...rejected[tier].values()].reduce((a, b) => a + b, 0);
    rows.push([
      tier,
      String(jobs.length),
      String(rejectedCount),
      String(jobs.filter((j) => j.view?.status === 'succeeded').length),
      String(jobs.filter((j) => j.view?.status === 'failed').length),
      `${seconds(queue?.mean)} / ${seconds(queue?.p50)} / ${seconds(queue?.p95)} / ${seconds(queue?.max)}`,
      `${seconds(runTime?.mean)} / ${seconds(runTime?.p95)}`,
      `${seconds(e2e?.mean)} / ${seconds(e2e?.p95)}`,
      `${seconds(seen?.p50)} / ${seconds(seen?.p95)}`,
    ]);
    delayRows.push([tier, String(jobs.reduce((n, j) => n + j.progressMessages, 0)), String(jobs.reduce((n, j) => n + j.repeats, 0)), millis(delays?.p50), millis(delays?.p95), millis(delays?.max), String(input.maxWaiting[tier]), String(input.maxOldest[tier])]);
  }
  const lost = all.filter((j) => !j.view || !TERMINAL.has(j.view.status));
  const missedPush = all.filter((j) => j.view && TERMINAL.has(j.view.status) && j.terminalPushAt === undefined);
  const retried = all.filter((j) => (j.view?.attempts ?? 0) > 1);
  const allDelays = summarize(all.flatMap((j) => j.delaysMs));
  const loads = input.loads.length > 0 ? input.loads : [loadavg()[0]];
  const threads =
    input.threads === undefined ? 'as the running stack has them' : typeof input.threads === 'number' ? `${input.threads} shared by the tiers, pro first` : TIERS.map((t) => `${t} ${(input.threads as Record<Tier, number>)[t]}`).join(', ');

  console.log(`
Load run: ${users.length} users, ${all.length} jobs accepted over ${seconds(input.submitMs)} s (schedule ${input.options.durationMs / 1000} s), all done after ${seconds(input.wall)} s${input.timedOut ? ' (HARD TIMEOUT reached)' : ''}
Machine: load average (1 min) ${input.loadStart.toFixed(1)} at start, max ${Math.max(...loads).toFixed(1)}, mean ${(loads.reduce((a, b) => a + b, 0) / loads.length).toFixed(1)} during the run
Stack: maxConcurrency ${TIERS.map((t) => `${t} ${input.concurrency[t]}`).join(', ')}; worker threads ${threads}; load generator event-loop lag p99 ${input.clientLagP99Ms.toFixed(0)} ms

Per tier (seconds; queue wait = startedAt - createdAt of the last attempt, run = finishedAt - startedAt,
end-to-end = finishedAt - createdAt, seen = submit request -> terminal status at the client over the WebSocket)
${table(['tier', 'accepted', 'rejected', 'succeeded', 'failed', 'queue mean / p50 / p95 / max', 'run mean / p95', 'e2e mean / p95', 'seen p50 / p95'], rows)}

Live progress (delay = arrival at the client - the job's updatedAt in the message, ms, for each new row version; repeats = pushes
of a version already seen, the queue-position refreshes of a job still queued; queue depth from GET /admin/queues every 5 s)
${table(['tier', 'messages', 'repeats', 'delay p50', 'p95', 'max', 'max waiting', 'oldest queued s'], delayRows)}`);
  for (const tier of TIERS) for (const [why, n] of rejected[tier]) console.log(`  rejected ${tier}: ${n} x ${why}`);
  const proFirst = queueP95.pro !== undefined && queueP95.free !== undefined && queueP95.pro < queueP95.free;
  const meanOk = TIERS.every((t) => queueMean[t] === undefined || queueMean[t]! < 30_000);
  console.log(`
Goals
  lost jobs (accepted, never terminal): ${lost.length}   ${lost.length === 0 ? 'ok' : `NOT ok: ${lost.slice(0, 5).map((j) => `${j.tier} ${j.jobId} ${j.view?.status ?? 'unknown'}`).join(', ')}`}
  terminal without a WebSocket push: ${missedPush.length}; jobs that needed a retry: ${retried.length}; WebSocket errors: ${input.wsErrors}
  pro p95 queue wait below free's: ${proFirst ? 'yes' : 'NO'} (pro ${seconds(queueP95.pro)} s, basic ${seconds(queueP95.basic)} s, free ${seconds(queueP95.free)} s)
  mean queue wait < 30 s in every tier: ${meanOk ? 'met' : 'NOT met'} (${TIERS.map((t) => `${t} ${seconds(queueMean[t])} s`).join(', ')})
  progress delay p95 < 2 s: ${allDelays !== undefined && allDelays.p95 < 2000 ? 'met' : 'NOT met'} (p95 ${millis(allDelays?.p95)} ms over ${allDelays?.count ?? 0} messages)`);
  const submitLatency = summarize(input.submitLatencies);
  const submitP99 = submitLatency === undefined ? undefined : [...input.submitLatencies].sort((x, y) => x - y)[Math.max(0, Math.ceil(0.99 * submitLatency.count) - 1)];
  const queuedSnapshots = all.filter((j) => j.queuedSnapshot !== undefined);
  const withEta = queuedSnapshots.filter((j) => j.queuedSnapshot!.position && j.queuedSnapshot!.eta).length;
  const tierOrder = queueMean.pro !== undefined && queueMean.basic !== undefined && queueMean.free !== undefined && queueMean.pro <= queueMean.basic && queueMean.basic <= queueMean.free;
  console.log(`  submit latency p50 / p99: ${millis(submitLatency?.p50)} / ${millis(submitP99)} ms over ${submitLatency?.count ?? 0} requests (goal p99 < 200 ms: ${submitP99 !== undefined && submitP99 < 200 ? 'met' : 'NOT met'})
  progress delay p95 < 500 ms: ${allDelays !== undefined && allDelays.p95 < 500 ? 'met' : 'NOT met'}; waits in tier order (mean pro <= basic <= free): ${tierOrder ? 'yes' : 'no'}
  queued snapshots with a queue position and ETA: ${withEta} of ${queuedSnapshots.length}`);
  if (input.calibration !== undefined) {
    const c = input.calibration;
    const finishedPerSecond = all.filter((j) => j.view && TERMINAL.has(j.view.status)).length / (input.wall / 1000);
    const basis = c.stackCapacity !== undefined ? `the stack's measured capacity (${c.capacityJobsPerSecond.toFixed(2)} jobs/s; the engine alone ${c.engineCapacityJobsPerSecond?.toFixed(2)} jobs/s on ${c.usableCores} cores)` : `the engine's measured capacity (${c.capacityJobsPerSecond.toFixed(2)} jobs/s on ${c.usableCores} cores)`;
    console.log(`  offer ${c.offer.toFixed(2)} x ${basis}; finished ${finishedPerSecond.toFixed(2)} jobs/s over the run`);
  }
  const points = all
    .filter((j) => j.view?.startedAt !== undefined)
    .map((j) => ({ tier: j.tier, submittedS: (j.submittedAt - input.started) / 1000, waitS: (Date.parse(j.view!.startedAt!) - Date.parse(j.view!.createdAt)) / 1000 }));
  const name = input.options.scenario?.name ?? 'custom';
  if (input.options.svgFile !== undefined) {
    const title = `npm run load --scenario ${name}: queue wait per tier (offer ${input.calibration?.offer.toFixed(2) ?? '?'} x capacity)`;
    writeFileSync(input.options.svgFile, waitChartSvg(points, input.options.scenario ? title : `npm run load: queue wait per tier`));
    console.log(`Wrote ${input.options.svgFile}`);
  }
  if (input.options.jsonFile !== undefined) {
    const tierSummary = Object.fromEntries(
      TIERS.map((tier) => {
        const jobs = all.filter((j) => j.tier === tier);
        const waits = summarize(defined(jobs.map((j) => ms(j.view?.createdAt, j.view?.startedAt))));
        return [tier, { accepted: jobs.length, rejected: [...rejected[tier].values()].reduce((a, b) => a + b, 0), queueWaitMs: waits, progressDelayMs: summarize(jobs.flatMap((j) => j.delaysMs)), maxWaiting: input.maxWaiting[tier] }];
      }),
    );
    const out = {
      scenario: input.options.scenario ?? null,
      seed: input.options.seed,
      durationMs: input.options.durationMs,
      machine: { loadAverageAtStart: input.loadStart, loadAverageMax: Math.max(...loads), loadAverageMean: loads.reduce((a, b) => a + b, 0) / loads.length },
      stack: { maxConcurrency: input.concurrency, workerThreads: input.threads ?? null },
      calibration: input.calibration ?? null,
      wallMs: input.wall,
      timedOut: input.timedOut,
      lost: lost.length,
      missedPushes: missedPush.length,
      retried: retried.length,
      wsErrors: input.wsErrors,
      submitLatencyMs: submitLatency === undefined ? null : { ...submitLatency, p99: submitP99 },
      progressDelayMs: allDelays ?? null,
      waitsInTierOrder: tierOrder,
      queuedSnapshots: { total: queuedSnapshots.length, withPositionAndEta: withEta },
      clientLagP99Ms: input.clientLagP99Ms,
      tiers: tierSummary,
      jobs: all.map((j) => ({ tier: j.tier, jobId: j.jobId, status: j.view?.status ?? null, submittedS: (j.submittedAt - input.started) / 1000, submitMs: j.submitMs, createdAt: j.view?.createdAt ?? null, startedAt: j.view?.startedAt ?? null, finishedAt: j.view?.finishedAt ?? null, attempts: j.view?.attempts ?? null, progressMessages: j.progressMessages, repeats: j.repeats })),
    };
    writeFileSync(input.options.jsonFile, `${JSON.stringify(out, null, 1)}\n`);
    console.log(`Wrote ${input.options.jsonFile}`);
  }
  if (lost.length > 0 || !proFirst) process.exitCode = 1;
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
    process.exit(1);
  },
);
