import { join, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startEmulators, LOCAL_CREDENTIALS, LOCAL_REGION, type Emulators } from './emulators.ts';
import { createResources, type LocalResources } from './resources.ts';
import { loadOrCreateKeys, signToken, LOCAL_AUDIENCE, LOCAL_ISSUER, DEFAULT_KEY_DIR, type LocalKeys, type TokenOptions } from './keys.ts';
import { startHttpGateway, type HttpGateway } from './http-gateway.ts';
import { startWsGateway, type WsGateway } from './ws-gateway.ts';
import { HTTP_CORS, HTTP_ROUTES } from './http-routes.ts';
import { lazyHandler, lambdaContext } from './lambda-runtime.ts';
import { DEFAULT_WORKER_NICE, WorkerPool } from './worker-pool.ts';
import { SlotScheduler } from './slot-scheduler.ts';
import { startSqsPoller, type SqsPoller } from './sqs-poller.ts';
import { startStreamThread, type StreamThread } from './stream-thread.ts';
import { requeueLiveJobs } from './requeue.ts';
import { startWebAssets } from './web-assets.ts';
import { consoleLogger, type Logger } from './http-util.ts';
import { HANDLER_ENTRIES } from '../lib/handler-entries.ts';
import { documentClient } from '../lambdas/adapters/dynamodb-document-client.ts';
import { tierConcurrencyValue } from '../lambdas/handlers/shared/env.ts';
import { TIER_SETTINGS, TIERS, tierSettingsWith, WORKER_TIMEOUT_SECONDS, type Tier, type TierSettings } from '../lambdas/core/tiers.ts';

export const REPO_ROOT = resolve(import.meta.dirname, '..');

export interface LocalStackOptions {
  /** 0 picks a free port. @default 3000 */
  httpPort?: number;
  /** 0 picks a free port. @default 3001 */
  wsPort?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Use running emulators (the test suite's) instead of starting and stopping our own. */
  emulators?: { dynamodbEndpoint: string; sqsEndpoint: string };
  /** Keep DynamoDB (and SQS) data in this folder, and put live jobs back on their queues at start. @default in memory */
  persistDir?: string;
  /** Table and queue name prefix. @default 'local' */
  prefix?: string;
  /** CSV folder for non-SYNTH symbols (`<SYMBOL>-<timeframe>.csv`). @default <repo>/data */
  dataDir?: string;
  /** Where the RS256 signing key lives. @default <repo>/.local/keys */
  keyDir?: string;
  /** Queue visibility timeout; tests shorten it. @default from tiers.ts */
  visibilityTimeoutSeconds?: number;
  /** @default from tiers.ts */
  maxReceiveCount?: number;
  /** Per-tier maxConcurrency overrides (as CDK context `concurrency.<tier>` does on AWS). */
  concurrency?: Partial<Record<Tier, number>>;
  /**
   * A number: one pool of that many worker threads shared by the three tiers; when a slot frees, the waiting pro
   * message goes first, then basic, then free (local/slot-scheduler.ts). Per tier (`{ free: 1, basic: 1, pro: 2 }`):
   * a pool per tier that the others never use, as reserved concurrency keeps them apart on AWS.
   * @default one shared thread per core (os.availableParallelism())
   */
  workerThreads?: number | Partial<Record<Tier, number>>;
  /**
   * Nice value of the worker threads (Linux). A shared pool runs all its threads at this value; per-tier pools run
   * pro at it and basic and free a few steps lower (tierNice). @default DEFAULT_WORKER_NICE (10)
   */
  workerNice?: number;
  /**
   * At most this many invocations per worker thread at once: a tier's poller then receives at most
   * max(2, threads x this) messages (never more than the tier table's), unless `concurrency` sets the tier's value,
   * and a shared pool starts at most threads x this invocations over all tiers. `npm start` sets 1 (see docs/local.md,
   * "Load run"). @default unlimited: the pollers run the tier table's maxConcurrency, interleaved on the threads
   */
  invocationsPerThread?: number;
  /** Build the web app and serve it at / with its config.json (API routes keep priority). @default false */
  web?: boolean;
  /** Extra environment for every handler (e.g. LOG_LEVEL, fault injection). */
  extraEnv?: Record<string, string>;
  /** Stream poll interval. @default 50 ms */
  streamPollIntervalMs?: number;
  /** How often the stuck-job sweeper runs (an EventBridge schedule on AWS); 0 = never. @default 60000 */
  sweepIntervalMs?: number;
  log?: Logger;
}

export interface LocalStack {
  readonly httpUrl: string;
  readonly wsUrl: string;
  readonly jwksUrl: string;
  readonly managementEndpoint: string;
  /** The environment the handlers run with. */
  readonly env: Readonly<Record<string, string>>;
  readonly resources: LocalResources;
  readonly tiers: Readonly<Record<Tier, TierSettings>>;
  /** Threads of the shared pool (a number), or of each tier's own pool. */
  readonly workerThreads: number | Readonly<Record<Tier, number>>;
  /** Invocations the shared pool runs at once over all tiers (threads x invocations per thread); Infinity = no cap; undefined with per-tier pools. */
  readonly workerSlots: number | undefined;
  /** Queue that receives stream batches the notifier could not deliver (the mapping's on-failure destination). */
  readonly streamFailureQueueUrl: string;
  /** Jobs put back on their queues at start (only with `persistDir`). */
  readonly requeued: Readonly<Record<Tier, string[]>>;
  readonly keys: LocalKeys;
  readonly dynamodbEndpoint: string;
  readonly sqsEndpoint: string;
  token(options: TokenOptions): Promise<string>;
  /** Open WebSocket connection ids. */
  connectionIds(): string[];
  /** Failures on demand for the fault tests (test/e2e/faults-*.test.ts); `npm start` never calls them. */
  readonly testHooks: LocalStackTestHooks;
  stop(): Promise<void>;
}

/**
 * Faults that no FAULT_* switch can produce, because they happen to the runtime rather than inside a handler.
 * They only act when called; a stack nobody calls them on behaves exactly as without them.
 */
export interface LocalStackTestHooks {
  /** Stops the DynamoDB stream mapping (as a stalled or throttled mapping): writes pile up in the stream. */
  pauseStreamPoller(): void;
  /** Reads on from where the mapping stopped. */
  resumeStreamPoller(): void;
  /**
   * Kills the tier's worker threads that are running invocations, as crashed Lambda sandboxes: their messages
   * come back after the queue's visibility timeout. Resolves to the number of invocations cut off.
   */
  killBusyWorkers(tier: Tier): Promise<number>;
  /** Shared pool only: no worker slot is given out until resumeWorkerSlots (running invocations go on). */
  pauseWorkerSlots(): void;
  resumeWorkerSlots(): void;
}

/** The shared pool's default size: one thread per core (each runs one backtest at a time under `npm start`). */
export function defaultWorkerThreads(): number {
  return Math.max(1, availableParallelism());
}

/** Per-tier pools: a tier's threads, 1 where the caller names none. */
function perTierThreads(threads: Partial<Record<Tier, number>>): Record<Tier, number> {
  return { free: threads.free ?? 1, basic: threads.basic ?? 1, pro: threads.pro ?? 1 };
}

/**
 * The pollers' concurrency: explicit values first, else threads x invocationsPerThread (at least 2, the SQS event
 * source minimum), else the tier table's. Why cap it locally: on AWS each of a tier's 50 invocations has its own CPU;
 * here 50 interleaved on two threads each run 25x longer, and each writes progress every 250 ms of wall time, so the
 * progress writes (and stream records, notifier calls and pushes) per job grow 25x and flood DynamoDB Local and the
 * event loop that serves the gateways. Measured in docs/performance.md.
 */
export function localConcurrency(
  threads: number | Readonly<Record<Tier, number>>,
  invocationsPerThread: number | undefined,
  explicit: Partial<Record<Tier, number>> = {},
): Partial<Record<Tier, number>> {
  if (invocationsPerThread === undefined) return explicit;
  if (!Number.isInteger(invocationsPerThread) || invocationsPerThread < 1) throw new Error(`invocationsPerThread must be a whole number >= 1, got ${invocationsPerThread}`);
  // A shared pool: each tier alone may use every thread (when the others have nothing waiting).
  const of = (tier: Tier): number => (typeof threads === 'number' ? threads : threads[tier]);
  return Object.fromEntries(TIERS.map((tier) => [tier, explicit[tier] ?? Math.min(TIER_SETTINGS[tier].maxConcurrency, Math.max(2, of(tier) * invocationsPerThread))]));
}

/** Steps of niceness below pro's: when the CPU is short, pro's threads get most of it, as paid tiers go first. */
const TIER_NICE_STEP: Readonly<Record<Tier, number>> = { pro: 0, basic: 3, free: 6 };

/** A tier's worker-thread nice value: `base` for pro, a few steps more for basic and free (0 keeps all at 0). */
export function tierNice(base: number, tier: Tier): number {
  return base === 0 ? 0 : Math.min(19, base + TIER_NICE_STEP[tier]);
}

/**
 * The whole service on one machine, with the production handlers: emulators, tables and queues from the shared
 * definitions, the local HTTP and WebSocket APIs, an SQS poller per tier feeding a worker pool the tiers share (or a
 * pool each), and the stream poller that feeds the progress notifier. Handlers in this process read `process.env`, so run one stack per process.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? consoleLogger;
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async (): Promise<void> => {
    for (const step of cleanups.reverse()) {
      try {
        await step();
      } catch (error) {
        log.error('stop step failed', error);
      }
    }
    cleanups.length = 0;
  };

  try {
    const workerThreads = typeof options.workerThreads === 'object' ? perTierThreads(options.workerThreads) : (options.workerThreads ?? defaultWorkerThreads());
    const tiers = tierSettingsWith(localConcurrency(workerThreads, options.invocationsPerThread, options.concurrency));
    const keys = await loadOrCreateKeys(options.keyDir ?? DEFAULT_KEY_DIR);

    let emulators: Pick<Emulators, 'dynamodbEndpoint' | 'sqsEndpoint'>;
    if (options.emulators !== undefined) {
      emulators = options.emulators;
    } else {
      const started = await startEmulators({ persistDir: options.persistDir });
      cleanups.push(() => started.stop());
      emulators = started;
    }
    const prefix = options.prefix ?? 'local';
    const resources = await createResources({
      ...emulators,
      prefix,
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
      maxReceiveCount: options.maxReceiveCount,
    });

    const clientConfig = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
    const sqs = new SQSClient({ ...clientConfig, endpoint: emulators.sqsEndpoint });
    const dynamodb = new DynamoDBClient({ ...clientConfig, endpoint: emulators.dynamodbEndpoint });
    cleanups.push(async () => {
      sqs.destroy();
      dynamodb.destroy();
    });
    const { QueueUrl: streamFailureQueueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-progress-stream-failures` }));

    const host = options.host ?? '127.0.0.1';
    const ws = await startWsGateway({
      host,
      port: options.wsPort ?? 3001,
      log,
      handlers: {
        authorizer: lazyHandler(HANDLER_ENTRIES.wsAuthorizer),
        connect: lazyHandler(HANDLER_ENTRIES.wsConnect),
        disconnect: lazyHandler(HANDLER_ENTRIES.wsDisconnect),
        message: lazyHandler(HANDLER_ENTRIES.wsMessage),
      },
    });
    cleanups.push(() => ws.close());
    const web = options.web === true ? await startWebAssets({ wsPort: () => Number(new URL(ws.url).port) }) : undefined;
    if (web !== undefined) cleanups.push(() => web.close());
    const http = await startHttpGateway({
      host,
      port: options.httpPort ?? 3000,
      jwks: keys.jwks,
      cors: HTTP_CORS,
      log,
      routes: HTTP_ROUTES.map((route) => ({ method: route.method, path: route.path, load: lazyHandler(route.entry) })),
      ...(web !== undefined ? { fallback: web.serve } : {}),
    });
    cleanups.push(() => http.close());

    const jwksUrl = `${http.url}/.well-known/jwks.json`;
    const env: Record<string, string> = {
      ...resources.env,
      WS_MANAGEMENT_ENDPOINT: ws.managementEndpoint,
      JWKS_URL: jwksUrl,
      JWT_ISSUER: LOCAL_ISSUER,
      JWT_AUDIENCE: LOCAL_AUDIENCE,
      DATA_DIR: options.dataDir ?? join(REPO_ROOT, 'data'),
      // Tiers and credits live in the Users table locally (Cognito on AWS).
      USER_DIRECTORY: 'users-table',
      // The pollers' maxConcurrency (LOCAL_CONCURRENCY included), for GET /admin/queues, as the CDK sets it.
      TIER_CONCURRENCY: tierConcurrencyValue(tiers),
      LOG_LEVEL: 'WARN',
      // The EMF metrics Powertools prints on AWS would only be noise in a terminal.
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_METRICS_NAMESPACE: 'BacktestLocal',
      ...options.extraEnv,
    };
    const previousEnv = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    cleanups.push(async () => {
      for (const [key, value] of Object.entries(previousEnv)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    });

    // Every handler in this process, loaded now (a warm start), so a broken one fails the start, not a request.
    await Promise.all([
      ...HTTP_ROUTES.map((route) => lazyHandler(route.entry)()),
      ...[HANDLER_ENTRIES.wsAuthorizer, HANDLER_ENTRIES.wsConnect, HANDLER_ENTRIES.wsDisconnect, HANDLER_ENTRIES.wsMessage].map((entry) => lazyHandler(entry)()),
    ]);

    // The Jobs stream's mappings (progress notifier, leaderboard recorder) in their own thread, off the event loop
    // that serves HTTP, WebSocket and fauxqs (local/stream-worker.ts says why).
    const streamThread: StreamThread = await startStreamThread({
      streamArn: resources.jobsStreamArn,
      dynamodbEndpoint: emulators.dynamodbEndpoint,
      sqsEndpoint: emulators.sqsEndpoint,
      streamFailureQueueUrl,
      notifierEntry: HANDLER_ENTRIES.progressNotifier,
      recorderEntry: HANDLER_ENTRIES.leaderboardRecorder,
      pollIntervalMs: options.streamPollIntervalMs ?? 50,
      env: { ...(process.env as Record<string, string>), ...env },
      log,
    });
    cleanups.push(() => streamThread.stop());

    const requeued: Record<Tier, string[]> = { free: [], basic: [], pro: [] };
    if (options.persistDir !== undefined) {
      Object.assign(
        requeued,
        await requeueLiveJobs({
          doc: documentClient(dynamodb),
          sqs,
          jobsTable: resources.tables.jobs,
          queueUrls: { free: resources.queues.free.url, basic: resources.queues.basic.url, pro: resources.queues.pro.url },
        }),
      );
    }

    const pollers: SqsPoller[] = [];
    const pools: WorkerPool[] = [];
    // Pools close before pollers finish: a stopping stack does not wait for a long backtest; its message
    // stays on the queue (and --persist puts the job back on start).
    cleanups.push(async () => {
      const stopping = pollers.map((p) => p.stop());
      await Promise.all(pools.map((p) => p.close()));
      await Promise.all(stopping);
    });
    // The process's own variables (PATH, HOME, FAULT_*) too, as the main thread's handlers see them.
    const workerFunction = (tier: Tier) => ({ name: `worker-${tier}`, env: { ...(process.env as Record<string, string>), ...env, TIER: tier } });
    const baseNice = options.workerNice ?? DEFAULT_WORKER_NICE;
    const poolOptions = { entry: HANDLER_ENTRIES.worker, timeoutMs: WORKER_TIMEOUT_SECONDS * 1000, log };
    /** The pool that runs each tier's worker. */
    const poolOf = {} as Record<Tier, WorkerPool>;
    let scheduler: SlotScheduler | undefined;
    let workerSlots: number | undefined;
    if (typeof workerThreads === 'number') {
      // One pool for all tiers; the scheduler gives each freed slot to pro's waiting message first (slot-scheduler.ts).
      // One nice value for all threads: a thread now runs any tier, and an unprivileged thread cannot lower its nice
      // value again after a free job raised it, so the tier order comes from the scheduler instead.
      const pool = new WorkerPool({ ...poolOptions, functions: TIERS.map(workerFunction), threads: workerThreads, nice: baseNice });
      pools.push(pool);
      for (const tier of TIERS) poolOf[tier] = pool;
      workerSlots = options.invocationsPerThread === undefined ? Number.POSITIVE_INFINITY : workerThreads * options.invocationsPerThread;
      scheduler = new SlotScheduler({ slots: workerSlots });
    } else {
      for (const tier of TIERS) {
        poolOf[tier] = new WorkerPool({ ...poolOptions, functions: [workerFunction(tier)], threads: workerThreads[tier], nice: tierNice(baseNice, tier) });
        pools.push(poolOf[tier]);
      }
    }
    await Promise.all(pools.map((p) => p.ready()));
    for (const tier of TIERS) {
      pollers.push(
        await startSqsPoller({
          sqs,
          queueUrl: resources.queues[tier].url,
          maxConcurrency: tiers[tier].maxConcurrency,
          invoke: (event) => poolOf[tier].invoke(`worker-${tier}`, event),
          ...(scheduler !== undefined ? { shared: { tier, scheduler } } : {}),
          log,
        }),
      );
    }

    const sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
    if (sweepIntervalMs > 0) {
      const sweeper = lazyHandler(HANDLER_ENTRIES.requeueStuck);
      await sweeper();
      let sweeping = Promise.resolve();
      const timer = setInterval(() => {
        sweeping = sweeping.then(async () => {
          const event = { version: '0', id: randomUUID(), 'detail-type': 'Scheduled Event', source: 'aws.events', account: '000000000000', time: new Date().toISOString(), region: LOCAL_REGION, resources: [], detail: {} };
          try {
            await (await sweeper())(event, lambdaContext('requeue-stuck', 60_000));
          } catch (error) {
            log.error('stuck-job sweeper failed', error);
          }
        });
      }, sweepIntervalMs);
      timer.unref();
      cleanups.push(async () => {
        clearInterval(timer);
        await sweeping;
      });
    }

    const requireScheduler = (): SlotScheduler => {
      if (scheduler === undefined) throw new Error('worker slots are shared only when workerThreads is a number');
      return scheduler;
    };
    let stopped: Promise<void> | undefined;
    return {
      httpUrl: http.url,
      wsUrl: ws.url,
      jwksUrl,
      managementEndpoint: ws.managementEndpoint,
      env,
      resources,
      tiers,
      workerThreads,
      workerSlots,
      streamFailureQueueUrl,
      requeued,
      keys,
      dynamodbEndpoint: emulators.dynamodbEndpoint,
      sqsEndpoint: emulators.sqsEndpoint,
      token: (tokenOptions) => signToken(keys, tokenOptions),
      connectionIds: () => ws.connectionIds(),
      testHooks: {
        pauseStreamPoller: () => streamThread.pause(),
        resumeStreamPoller: () => streamThread.resume(),
        killBusyWorkers: (tier) => poolOf[tier].killBusyThreads(`worker-${tier}`),
        pauseWorkerSlots: () => requireScheduler().pause(),
        resumeWorkerSlots: () => requireScheduler().resume(),
      },
      stop: () => (stopped ??= cleanup()),
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
