import { BacktestAbortedError } from './errors.ts';

/**
 * Bars per chunk: each pass runs over one chunk before the next pass reads it, so a chunk's columns (8 Ki bars x
 * 8 bytes = 64 KiB each, about seven of them) should stay in a 512 KiB L2 cache; a chunk is well under a millisecond.
 */
export const CHUNK = 1 << 13;
/** Longest stretch of synchronous work before the engine lets the event loop run. */
export const SLICE_MS = 8;
/** Minimum gap between two progress callbacks (at most 20 per second). */
export const PROGRESS_INTERVAL_MS = 50;

/**
 * Cooperative scheduling for one engine call: the engine is CPU-bound, and the worker must keep its event loop alive
 * (heartbeats, cancellation messages, progress writes) while it computes. Work is counted in abstract units (bars
 * per pass); progress is `base + span * done / total`, so a sweep can map each combination to its own span.
 */
export class Scheduler {
  private readonly signal: AbortSignal | undefined;
  private readonly onProgress: ((fraction: number) => void) | undefined;
  private lastYield = performance.now();
  private lastEmit = Number.NEGATIVE_INFINITY;
  private emitted = 0;
  private base = 0;
  private span = 1;
  private total = 1;
  private done = 0;
  private late = false;

  constructor(opts: { signal?: AbortSignal; onProgress?: (fraction: number) => void } = {}) {
    this.signal = opts.signal;
    this.onProgress = opts.onProgress;
    this.throwIfAborted();
  }

  /** Starts a stage that maps `total` work units onto the progress range [base, base + span]. */
  stage(base: number, span: number, total: number): void {
    this.base = base;
    this.span = span;
    this.total = Math.max(1, total);
    this.done = 0;
  }

  throwIfAborted(): void {
    if (this.signal?.aborted) throw new BacktestAbortedError(this.signal.reason instanceof Error ? this.signal.reason.message : this.signal.reason);
  }

  /** Records finished work; yields to the event loop when the current slice is used up. */
  async work(units: number): Promise<void> {
    if (this.due(units)) await this.pause();
  }

  /**
   * Records finished work and says whether the slice is used up (then the caller must `await pause()`). Synchronous,
   * so a sweep of short combinations does not pay a promise and a microtask per combination (about a microsecond, 5 %
   * of a daily combination) when no yield is due.
   */
  due(units: number): boolean {
    this.done += units;
    this.late = performance.now() - this.lastYield >= SLICE_MS;
    return this.late;
  }

  /** Whether the last `due` found the slice used up and no `pause` has followed yet. */
  overdue(): boolean {
    return this.late;
  }

  /** Reports progress, lets the event loop run, and throws if the run was aborted meanwhile. */
  async pause(): Promise<void> {
    this.report(performance.now());
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.lastYield = performance.now();
    this.late = false;
    // An abort can only happen while the loop runs, i.e. during the yield: checking right after it is exact.
    this.throwIfAborted();
  }

  private report(now: number): void {
    if (this.onProgress === undefined || now - this.lastEmit < PROGRESS_INTERVAL_MS) return;
    const f = Math.min(0.999, this.base + (this.span * Math.min(this.done, this.total)) / this.total);
    if (f <= this.emitted) return;
    this.emitted = f;
    this.lastEmit = now;
    this.onProgress(f);
  }

  /** The last progress call, always exactly 1. */
  finish(): void {
    this.onProgress?.(1);
  }
}

/** Runs `kernel` over [0, n) in CHUNK-sized ranges, yielding between chunks when the time slice is used up. */
export async function chunked(n: number, sched: Scheduler, kernel: (from: number, to: number) => void): Promise<void> {
  for (let from = 0; from < n; from += CHUNK) {
    const to = Math.min(n, from + CHUNK);
    kernel(from, to);
    await sched.work(to - from);
  }
}
