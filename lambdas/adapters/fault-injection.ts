import * as z from '../../engine/zod-mini.ts';
import { ServiceUnavailableError } from '../core/errors.ts';
import type { ClientPush } from '../core/ports/client-push.ts';
import type { JobMessage, JobQueue, TierQueueStats } from '../core/ports/job-queue.ts';
import type { ClaimOutcome, JobRepository } from '../core/ports/job-repository.ts';
import type { JobResult } from '../core/job-result.ts';
import type { Tier } from '../core/tiers.ts';

/**
 * Fault injection for tests and demos: decorators around the real ports, switched on by environment variables
 * (all off unless set). They make the failure paths the system claims to survive happen on demand: a worker
 * attempt that crashes after doing its work, a WebSocket client that vanished (410), an SQS send that fails.
 * See docs/faults.md.
 */

/** The error an injected worker crash throws: an ordinary (recoverable) error, so the worker retries with backoff. */
export class InjectedFaultError extends Error {
  override name = 'InjectedFaultError';
}

const rate = z.coerce.number().check(z.gte(0)).check(z.lte(1));
const symbols = z.pipe(
  z.string(),
  z.transform((s: string) => s.split(',').map((x) => x.trim().toUpperCase()).filter((x) => x.length > 0)),
);

export const faultEnvSchema = z.object({
  FAULT_WORKER_CRASH_RATE: z.optional(rate),
  FAULT_WORKER_CRASH_SYMBOLS: z.optional(symbols),
  FAULT_POST_GONE_RATE: z.optional(rate),
  FAULT_SQS_SEND_FAIL_RATE: z.optional(rate),
  FAULT_SEED: z.optional(z.coerce.number().check(z.int())),
});

export interface FaultConfig {
  /** Probability that a worker attempt crashes after running the engine and writing progress, before storing the result. */
  workerCrashRate: number;
  /** Symbols (upper case) whose every attempt crashes that way: the job uses up its retries and lands in the DLQ. */
  workerCrashSymbols: readonly string[];
  /** Probability that a PostToConnection answers 410 Gone (the message is not sent). */
  postGoneRate: number;
  /** Probability that an SQS send of a job message fails. */
  sqsSendFailRate: number;
  /** Seed of the random streams, so a run can be repeated; absent = a seed from the clock (logged). */
  seed: number;
}

export class FaultConfigurationError extends Error {
  override name = 'FaultConfigurationError';
}

/** Reads the FAULT_* variables. Any malformed value throws naming it: a typo must not silently turn a fault off. */
export function faultConfigFromEnv(env: NodeJS.ProcessEnv, seedFallback: () => number = () => Date.now() % 2 ** 31): FaultConfig {
  const parsed = faultEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ');
    throw new FaultConfigurationError(`Invalid fault injection settings: ${problems}`);
  }
  const e = parsed.data;
  return {
    workerCrashRate: e.FAULT_WORKER_CRASH_RATE ?? 0,
    workerCrashSymbols: e.FAULT_WORKER_CRASH_SYMBOLS ?? [],
    postGoneRate: e.FAULT_POST_GONE_RATE ?? 0,
    sqsSendFailRate: e.FAULT_SQS_SEND_FAIL_RATE ?? 0,
    seed: e.FAULT_SEED ?? seedFallback(),
  };
}

export function faultsEnabled(config: FaultConfig): boolean {
  return config.workerCrashRate > 0 || config.workerCrashSymbols.length > 0 || config.postGoneRate > 0 || config.sqsSendFailRate > 0;
}

/** The settings that are on, for the cold-start warning. */
export function describeFaults(config: FaultConfig): Record<string, unknown> {
  return {
    ...(config.workerCrashRate > 0 ? { FAULT_WORKER_CRASH_RATE: config.workerCrashRate } : {}),
    ...(config.workerCrashSymbols.length > 0 ? { FAULT_WORKER_CRASH_SYMBOLS: config.workerCrashSymbols.join(',') } : {}),
    ...(config.postGoneRate > 0 ? { FAULT_POST_GONE_RATE: config.postGoneRate } : {}),
    ...(config.sqsSendFailRate > 0 ? { FAULT_SQS_SEND_FAIL_RATE: config.sqsSendFailRate } : {}),
    FAULT_SEED: config.seed,
  };
}

/**
 * A seeded random stream (mulberry32): small, fast and good enough to pick which calls fail. Each decorator gets
 * its own stream (seed mixed with a name), so turning one fault on does not shift the draws of another.
 */
export function seededRandom(seed: number, stream = ''): () => number {
  let h = seed >>> 0;
  for (let i = 0; i < stream.length; i++) h = Math.imul(h ^ stream.charCodeAt(i), 0x9e3779b1) >>> 0;
  let a = h;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * The worker's JobRepository with crashes: an attempt chosen to crash runs normally (claim, engine, progress writes)
 * and then throws InjectedFaultError instead of storing its result. That is the most expensive moment for a crash:
 * all work done, nothing saved. The worker treats it like any crash: retry after 2/4/8 s, then `failed` and the DLQ.
 * Whether an attempt crashes is decided at claim time (by symbol, else by a draw), so a crash never hits half a job.
 */
export class CrashingJobRepository implements JobRepository {
  readonly #inner: JobRepository;
  readonly #config: Pick<FaultConfig, 'workerCrashRate' | 'workerCrashSymbols'>;
  readonly #random: () => number;
  /** `jobId#attempt` of claimed attempts that will crash. */
  readonly #doomed = new Set<string>();

  constructor(inner: JobRepository, config: Pick<FaultConfig, 'workerCrashRate' | 'workerCrashSymbols' | 'seed'>) {
    this.#inner = inner;
    this.#config = config;
    this.#random = seededRandom(config.seed, 'worker-crash');
  }

  async claim(jobId: string, attempt: number, now: string): Promise<ClaimOutcome> {
    const outcome = await this.#inner.claim(jobId, attempt, now);
    if (outcome.kind === 'claimed') {
      const symbol = outcome.job.request.symbol.toUpperCase();
      const bySymbol = this.#config.workerCrashSymbols.includes(symbol);
      // Draw for every claim, so the sequence of crashes depends only on the seed and the order of claims.
      const byDraw = this.#config.workerCrashRate > 0 && this.#random() < this.#config.workerCrashRate;
      if (bySymbol || byDraw) this.#doomed.add(`${jobId}#${attempt}`);
    }
    return outcome;
  }

  async complete(jobId: string, attempt: number, result: JobResult, now: string): Promise<boolean> {
    if (this.#doomed.delete(`${jobId}#${attempt}`)) {
      throw new InjectedFaultError(`injected worker crash: attempt ${attempt} of job ${jobId} died before storing its result`);
    }
    return this.#inner.complete(jobId, attempt, result, now);
  }

  // Everything else passes through; an attempt that ends another way (cancel, unrecoverable) forgets its doom.
  create: JobRepository['create'] = (job, charge) => this.#inner.create(job, charge);
  get: JobRepository['get'] = (jobId) => this.#inner.get(jobId);
  listByUser: JobRepository['listByUser'] = (userId, query) => this.#inner.listByUser(userId, query);
  listLive: JobRepository['listLive'] = (tier, status, limit) => this.#inner.listLive(tier, status, limit);
  saveProgress: JobRepository['saveProgress'] = (jobId, attempt, progress, message, now) => this.#inner.saveProgress(jobId, attempt, progress, message, now);
  fail: JobRepository['fail'] = (jobId, attempt, error, now) => {
    this.#doomed.delete(`${jobId}#${attempt}`);
    return this.#inner.fail(jobId, attempt, error, now);
  };
  scheduleRetry: JobRepository['scheduleRetry'] = (jobId, attempt, message, now) => {
    this.#doomed.delete(`${jobId}#${attempt}`);
    return this.#inner.scheduleRetry(jobId, attempt, message, now);
  };
  cancel: JobRepository['cancel'] = (jobId, userId, now) => this.#inner.cancel(jobId, userId, now);
  confirmCancelled: JobRepository['confirmCancelled'] = (jobId, attempt, now) => {
    this.#doomed.delete(`${jobId}#${attempt}`);
    return this.#inner.confirmCancelled(jobId, attempt, now);
  };
  touchStuckQueued: JobRepository['touchStuckQueued'] = (jobId, cutoff, now) => this.#inner.touchStuckQueued(jobId, cutoff, now);
  requeueAbandoned: JobRepository['requeueAbandoned'] = (jobId, attempt, cutoff, now) => this.#inner.requeueAbandoned(jobId, attempt, cutoff, now);
  requeueFailed: JobRepository['requeueFailed'] = (jobId, now) => this.#inner.requeueFailed(jobId, now);
  saveChunkProgress: JobRepository['saveChunkProgress'] = (jobId, chunk, progress, now) => this.#inner.saveChunkProgress(jobId, chunk, progress, now);
  recordChunk: JobRepository['recordChunk'] = (jobId, chunk, partial, now) => this.#inner.recordChunk(jobId, chunk, partial, now);
  chunkPartials: JobRepository['chunkPartials'] = (jobId, chunks) => this.#inner.chunkPartials(jobId, chunks);
  tierThroughput: JobRepository['tierThroughput'] = (tier) => this.#inner.tierThroughput(tier);
  recordThroughput: JobRepository['recordThroughput'] = (tier, sample, now) => this.#inner.recordThroughput(tier, sample, now);
}

/** PostToConnection answering 410 Gone at random: the notifier must delete the connection and carry on. */
export class FlakyClientPush implements ClientPush {
  readonly #inner: ClientPush;
  readonly #rate: number;
  readonly #random: () => number;

  constructor(inner: ClientPush, config: Pick<FaultConfig, 'postGoneRate' | 'seed'>) {
    this.#inner = inner;
    this.#rate = config.postGoneRate;
    this.#random = seededRandom(config.seed, 'post-gone');
  }

  async send(connectionId: string, message: unknown): Promise<'sent' | 'gone'> {
    if (this.#rate > 0 && this.#random() < this.#rate) return 'gone';
    return this.#inner.send(connectionId, message);
  }

  /** Closing is not a post: never faked, always passed on (an expired connection must really close). */
  async close(connectionId: string): Promise<void> {
    await this.#inner.close?.(connectionId);
  }
}

/** SQS sends failing at random, as an unreachable endpoint would: submit must fail the job, refund, and answer 503. */
export class FlakyJobQueue implements JobQueue {
  readonly #inner: JobQueue;
  readonly #rate: number;
  readonly #random: () => number;

  constructor(inner: JobQueue, config: Pick<FaultConfig, 'sqsSendFailRate' | 'seed'>) {
    this.#inner = inner;
    this.#rate = config.sqsSendFailRate;
    this.#random = seededRandom(config.seed, 'sqs-send');
  }

  async enqueue(message: JobMessage): Promise<void> {
    if (this.#rate > 0 && this.#random() < this.#rate) {
      throw new ServiceUnavailableError(`injected fault: could not queue job ${message.jobId} on the ${message.tier} queue`, {
        cause: new InjectedFaultError('FAULT_SQS_SEND_FAIL_RATE'),
      });
    }
    return this.#inner.enqueue(message);
  }

  stats(tier: Tier): Promise<TierQueueStats> {
    return this.#inner.stats(tier);
  }
}

/** Wraps each port only when its fault is on, so a normal deployment runs the plain adapters. */
export const withFaults = {
  workerJobs: (jobs: JobRepository, config: FaultConfig): JobRepository =>
    config.workerCrashRate > 0 || config.workerCrashSymbols.length > 0 ? new CrashingJobRepository(jobs, config) : jobs,
  push: (push: ClientPush, config: FaultConfig): ClientPush => (config.postGoneRate > 0 ? new FlakyClientPush(push, config) : push),
  queue: (queue: JobQueue, config: FaultConfig): JobQueue => (config.sqsSendFailRate > 0 ? new FlakyJobQueue(queue, config) : queue),
};
