import { describe, expect, it } from 'vitest';
import type { Job } from '../../lambdas/core/job.ts';
import type { ClientPush } from '../../lambdas/core/ports/client-push.ts';
import { submitBacktest } from '../../lambdas/core/use-cases/submit-backtest.ts';
import { createProgressNotifierHandler } from '../../lambdas/handlers/stream/progress-notifier-handler.ts';
import { principal, submitBody, world } from '../core/support.ts';
import { jobStreamRecord, lambdaContext, streamEvent } from '../support/events/index.ts';
import { silentMetrics } from './emf.ts';
import { silentLogger } from './silent-logger.ts';

/**
 * PostToConnection calls take as long as they take: here the first push of a job is the slowest, as a cold
 * connection or a busy management endpoint makes it. Arrivals are recorded in the order they complete. A job's first
 * push also waits (up to 2 s) until another job's first push has started, so whether two jobs' pushes were in flight
 * together is an event the test observes, not a race between timers on a loaded machine.
 */
class SlowFirstPush implements ClientPush {
  readonly arrived: { jobId: string; status: string; progress: number }[] = [];
  readonly failing = new Set<string>();
  /** True once two jobs' first pushes were in flight at the same time. */
  overlapped = false;
  readonly #seen = new Set<string>();
  readonly #firstInFlight = new Set<string>();
  readonly #overlap = Promise.withResolvers<void>();

  async send(_connectionId: string, message: unknown): Promise<'sent' | 'gone'> {
    const m = message as { jobId: string; status: string; progress: number; message: string };
    const first = !this.#seen.has(m.jobId);
    this.#seen.add(m.jobId);
    if (first) {
      this.#firstInFlight.add(m.jobId);
      if (this.#firstInFlight.size >= 2) {
        this.overlapped = true;
        this.#overlap.resolve();
      }
      await Promise.race([this.#overlap.promise, new Promise((resolve) => setTimeout(resolve, 2_000))]);
    }
    await new Promise((resolve) => setTimeout(resolve, first ? 30 : 1));
    if (first) this.#firstInFlight.delete(m.jobId);
    if (this.failing.has(m.message)) throw new Error(`PostToConnection failed for "${m.message}"`);
    this.arrived.push({ jobId: m.jobId, status: m.status, progress: m.progress });
    return 'sent';
  }
}

/** A job's successive rows, as the worker writes them: claimed, half way, done. */
function states(job: Job): Job[] {
  const at = (s: number) => `2024-03-01T12:00:0${s}.000Z`;
  const running0 = { ...job, status: 'running' as const, attempts: 1, progress: 0, message: 'Running (attempt 1)', updatedAt: at(1) };
  const running50 = { ...running0, progress: 0.5, message: 'Backtesting: 50%', updatedAt: at(2) };
  const succeeded = { ...running50, status: 'succeeded' as const, progress: 1, message: 'Done', updatedAt: at(3) };
  return [job, running0, running50, succeeded];
}

async function setup() {
  const w = world();
  const push = new SlowFirstPush();
  const a = await submitBacktest(principal('alice', 'pro'), submitBody(), undefined, w);
  const b = await submitBacktest(principal('bob', 'pro'), submitBody(), undefined, w);
  await w.connections.subscribe('c-alice', a.jobId, 0);
  await w.connections.subscribe('c-bob', b.jobId, 0);
  const [jobA, jobB] = [(await w.jobs.get(a.jobId))!, (await w.jobs.get(b.jobId))!];
  const changes = (job: Job) => {
    const s = states(job);
    return [1, 2, 3].map((i) => jobStreamRecord({ oldJob: s[i - 1], newJob: s[i] }));
  };
  const handler = createProgressNotifierHandler({ connections: w.connections, push, logger: silentLogger, metrics: silentMetrics() });
  return { push, handler, jobA, jobB, changes };
}

describe('progress notifier ordering', () => {
  it("pushes one job's changes in stream order even when an earlier push is slower, and other jobs alongside", async () => {
    const { push, handler, jobA, jobB, changes } = await setup();
    const [a1, a2, a3] = changes(jobA);
    const [b1] = changes(jobB);

    const res = await handler(streamEvent(a1, a2, b1, a3), lambdaContext());

    expect(res).toEqual({ batchItemFailures: [] });
    expect(push.arrived.filter((m) => m.jobId === jobA.jobId)).toEqual([
      { jobId: jobA.jobId, status: 'running', progress: 0 },
      { jobId: jobA.jobId, status: 'running', progress: 0.5 },
      { jobId: jobA.jobId, status: 'succeeded', progress: 1 },
    ]);
    // Bob's job did not queue behind Alice's: both first pushes were in flight together.
    expect(push.overlapped).toBe(true);
    expect(push.arrived.filter((m) => m.jobId === jobB.jobId)).toEqual([{ jobId: jobB.jobId, status: 'running', progress: 0 }]);
  });

  it("fails a job's later records without pushing them once one fails, so the retry sends them in order", async () => {
    const { push, handler, jobA, jobB, changes } = await setup();
    const [a1, a2, a3] = changes(jobA);
    const [b1, b2] = changes(jobB);
    push.failing.add('Backtesting: 50%');

    const res = await handler(streamEvent(a1, b1, a2, b2, a3), lambdaContext());

    const failed = res.batchItemFailures.map((f) => f.itemIdentifier);
    // Bob's b2 also fails: it carries the same message. Alice's a3 was never tried.
    expect(failed.sort()).toEqual([a2, b2, a3].map((r) => r.dynamodb!.SequenceNumber!).sort());
    expect(push.arrived).toContainEqual({ jobId: jobA.jobId, status: 'running', progress: 0 });
    expect(push.arrived.filter((m) => m.jobId === jobA.jobId && m.status === 'succeeded')).toEqual([]);
  });
});
