/**
 * Discrete-event simulation of one tier as deployed: an SQS queue drained by a Lambda event source mapping with
 * `maxConcurrency` c into a worker function with reserved concurrency c (so tiers do not share capacity on AWS, and
 * each tier is simulated on its own). Jobs are taken first in, first out (a standard queue is only roughly FIFO; at
 * the depths that matter here the difference in waits is small), one per invocation (batch size 1).
 *
 * FIFO with c identical slots means job n starts at max(its arrival, the earliest time a slot is free after jobs
 * 1..n-1 took theirs): the Kiefer-Wolfowitz recursion, exact and O(n log c). On top of it:
 *  - SQS polling: the poller hands a message to a free slot after a short delay (long polling returns as soon as a
 *    message is visible; the delay models the receive round trip and the invoke).
 *  - cold starts: a slot's execution environment is reclaimed after `keepAliveMs` idle; a job landing on a reclaimed
 *    (or never used) environment first pays the init time. Lambda prefers the most recently used warm environment,
 *    so a free slot is taken most-recently-freed first.
 * The job's queue wait is what the user sees as `startedAt - createdAt`: polling, a cold start's init, and the time
 * spent behind other jobs.
 */

export interface TierSimInput {
  /** Poisson arrivals (the superposition of many independent users' submissions). */
  arrivalsPerSecond: number;
  concurrency: number;
  /** The handler's duration for one job, ms (engine time on the tier's memory plus fixed overhead). */
  serviceMs: (random: () => number) => number;
  /** Init time of a new execution environment, ms. */
  coldStartMs: (random: () => number) => number;
  /** How long an idle environment is kept before it is reclaimed. */
  keepAliveMs: number;
  /** Delay from a message being visible (or a slot freeing) to the handler being invoked, ms. */
  pollDelayMs: (random: () => number) => number;
  /** Arrivals before the measured window (not counted), so the window starts in steady state. */
  warmupSeconds: number;
  measureSeconds: number;
  /** Environments warm at time 0 (at most `concurrency`). @default 0 */
  warmAtStart?: number;
  random: () => number;
}

export interface TierSimResult {
  /** Jobs that arrived in the measured window. */
  jobs: number;
  /** Queue waits of those jobs, ms, ascending. */
  waitsMs: Float64Array;
  meanWaitMs: number;
  coldStarts: number;
  /** Sum over the window's jobs of billed duration (init of cold starts included, since AWS bills INIT), ms. */
  billedMs: number;
  /** Busy slot time of the window's jobs over c x the window. */
  utilisation: number;
}

/** A binary min-heap of numbers (slot free times). */
class MinHeap {
  readonly #a: number[] = [];
  get size(): number {
    return this.#a.length;
  }
  peek(): number {
    return this.#a[0];
  }
  push(v: number): void {
    const a = this.#a;
    a.push(v);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p] <= v) break;
      a[i] = a[p];
      i = p;
    }
    a[i] = v;
  }
  pop(): number {
    const a = this.#a;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const r = l + 1;
        const m = r < a.length && a[r] < a[l] ? r : l;
        if (a[m] >= last) break;
        a[i] = a[m];
        i = m;
      }
      a[i] = last;
    }
    return top;
  }
}

export function exponential(random: () => number, mean: number): number {
  return -Math.log(1 - random()) * mean;
}

export function simulateTier(input: TierSimInput): TierSimResult {
  const { concurrency: c, random } = input;
  if (!(input.arrivalsPerSecond > 0)) throw new Error('arrivalsPerSecond must be above 0');
  if (!Number.isInteger(c) || c < 1) throw new Error(`concurrency must be a whole number >= 1, got ${c}`);
  const startMs = input.warmupSeconds * 1000;
  const endMs = startMs + input.measureSeconds * 1000;
  const meanGapMs = 1000 / input.arrivalsPerSecond;

  // Busy slots by the time they free; free slots as a stack of "last used" times, most recent on top.
  const busy = new MinHeap();
  const idle: number[] = [];
  const warm = Math.min(c, input.warmAtStart ?? 0);
  for (let i = 0; i < c - warm; i++) idle.push(Number.NEGATIVE_INFINITY);
  for (let i = 0; i < warm; i++) idle.push(0);

  const waits: number[] = [];
  let coldStarts = 0;
  let billedMs = 0;
  let busyMs = 0;
  let t = 0;
  for (;;) {
    t += exponential(random, meanGapMs);
    if (t >= endMs) break;
    // Slots that freed by now join the idle stack in the order they freed, so the top is the most recently used.
    while (busy.size > 0 && busy.peek() <= t) idle.push(busy.pop());
    let start: number;
    let lastUsed: number;
    if (idle.length > 0) {
      lastUsed = idle.pop()!;
      start = t + input.pollDelayMs(random);
    } else {
      lastUsed = busy.pop();
      start = lastUsed + input.pollDelayMs(random);
    }
    const cold = start - lastUsed > input.keepAliveMs;
    const initMs = cold ? input.coldStartMs(random) : 0;
    const serviceMs = input.serviceMs(random);
    busy.push(start + initMs + serviceMs);
    if (t >= startMs) {
      waits.push(start + initMs - t);
      if (cold) coldStarts += 1;
      billedMs += Math.ceil(initMs + serviceMs);
      busyMs += initMs + serviceMs;
    }
  }
  const waitsMs = Float64Array.from(waits).sort();
  const meanWaitMs = waits.length === 0 ? 0 : waits.reduce((s, w) => s + w, 0) / waits.length;
  return { jobs: waits.length, waitsMs, meanWaitMs, coldStarts, billedMs, utilisation: busyMs / (c * (endMs - startMs)) };
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
