import type { Job } from '../job.ts';
import type { Clock } from '../ports/clock.ts';
import type { JobRepository } from '../ports/job-repository.ts';

/** Why an engine run was stopped: the user cancelled, the job is no longer this run's, or the attempt's time ran out. */
export type AbortReason = 'cancel' | 'lost' | 'timeout';

export interface RunWatchOptions {
  readonly jobs: Pick<JobRepository, 'get'>;
  readonly jobId: string;
  /** Whether the stored job still belongs to this run (a whole attempt and a chunk judge that differently). */
  readonly stillOurs: (job: Job) => boolean;
  readonly pollMs: number;
  /** Epoch ms at which the run is stopped with `timeout`. @default none */
  readonly deadline?: number;
  readonly clock: Clock;
  readonly onError?: (error: unknown, context: string) => void;
}

/**
 * The abort side of one engine run, shared by a whole attempt and a fan-out chunk: an AbortSignal for the engine, a
 * cancel poll (a cancel must stop the run even when no progress write happens to read the flag), and the deadline.
 * The first reason wins.
 */
export class RunWatch {
  reason: AbortReason | undefined;
  readonly #options: RunWatchOptions;
  readonly #controller = new AbortController();
  readonly #timers: NodeJS.Timeout[] = [];
  #polling = false;

  constructor(options: RunWatchOptions) {
    this.#options = options;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  start(): void {
    const poll = setInterval(() => void this.#poll(), this.#options.pollMs);
    poll.unref();
    this.#timers.push(poll);
    const { deadline, clock } = this.#options;
    if (deadline !== undefined) {
      const timer = setTimeout(() => this.abort('timeout'), Math.max(0, deadline - clock.now()));
      timer.unref();
      this.#timers.push(timer);
    }
  }

  abort(reason: AbortReason): void {
    if (this.reason) return;
    this.reason = reason;
    this.#controller.abort(reason);
  }

  stop(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.length = 0;
  }

  async #poll(): Promise<void> {
    if (this.#polling || this.reason) return;
    this.#polling = true;
    try {
      const job = await this.#options.jobs.get(this.#options.jobId);
      if (!job || !this.#options.stillOurs(job)) this.abort('lost');
      else if (job.cancelRequested) this.abort('cancel');
    } catch (error) {
      this.#options.onError?.(error, 'cancel poll failed');
    } finally {
      this.#polling = false;
    }
  }
}
