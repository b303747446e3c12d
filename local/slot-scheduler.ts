import { TIER_SETTINGS, TIERS, type Tier } from '../lambdas/core/tiers.ts';

/**
 * What a tier's SQS poller offers the scheduler: whether it holds a message it may start now (one received and not
 * yet invoked, with its mapping's maxConcurrency not reached), and how to start it. `start` picks the message at
 * that moment (late binding, so per-user fairness inside the tier sees the latest state) and resolves when the
 * invocation has settled; it returns undefined when there turned out to be nothing to start.
 */
export interface SlotSource {
  ready(): boolean;
  start(): Promise<void> | undefined;
}

export interface SlotSchedulerOptions {
  /** Invocations that may run at once over the whole pool (threads x invocations per thread); Infinity = no limit. */
  slots: number;
  /**
   * Relative share of the freed slots each tier gets while every tier has messages waiting.
   * @default the tier table's maxConcurrency (free 5, basic 20, pro 50), the shares the tiers' reserved concurrency
   * gives them on AWS
   */
  weights?: Readonly<Record<Tier, number>>;
}

/** One grant, for observers (the load report, tests). */
export interface SlotGrant {
  tier: Tier;
  at: number;
}

/**
 * Decides which tier's waiting message gets a worker slot when one frees, for a local worker pool that all three
 * tiers share (on a laptop there are fewer cores than the tiers' concurrency; on AWS reserved concurrency keeps the
 * tiers apart). Smooth weighted round robin over the tiers that have a message ready: with pro, basic and free all
 * waiting, 15 consecutive grants go 10 / 4 / 1 and the first two go to pro, then basic; a tier with nothing ready
 * drops out and its share goes to the others, so free gets every slot while the paid tiers are idle and at least
 * 1 in 5 while only basic competes with it: never starved forever (docs/decisions.md, 2026-11-28).
 * A tier's credit is reset when it has nothing ready, so an idle tier does not save up a burst for later.
 */
export class SlotScheduler {
  private readonly slots: number;
  private readonly weights: Readonly<Record<Tier, number>>;
  private readonly sources = new Map<Tier, SlotSource>();
  private readonly credit: Record<Tier, number> = { free: 0, basic: 0, pro: 0 };
  private readonly listeners = new Set<(grant: SlotGrant) => void>();
  private busy = 0;
  private paused = false;
  private pumping = false;

  constructor(options: SlotSchedulerOptions) {
    if (!(options.slots >= 1)) throw new Error(`slots must be at least 1, got ${options.slots}`);
    this.slots = options.slots;
    this.weights = options.weights ?? { free: TIER_SETTINGS.free.maxConcurrency, basic: TIER_SETTINGS.basic.maxConcurrency, pro: TIER_SETTINGS.pro.maxConcurrency };
    for (const tier of TIERS) {
      if (!(this.weights[tier] > 0)) throw new Error(`weight of ${tier} must be positive, got ${this.weights[tier]}`);
    }
  }

  register(tier: Tier, source: SlotSource): void {
    if (this.sources.has(tier)) throw new Error(`a source for ${tier} is already registered`);
    this.sources.set(tier, source);
  }

  unregister(tier: Tier): void {
    this.sources.delete(tier);
    this.credit[tier] = 0;
  }

  /** Invocations running on the pool's slots now. */
  running(): number {
    return this.busy;
  }

  /** Calls `listener` on every grant; returns the function that stops it. */
  onGrant(listener: (grant: SlotGrant) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Test hook: no new slot is granted until resume (running invocations go on), as a mapping being updated. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.pump();
  }

  /** A source has something new to start, or a slot freed: grant slots while any are free and a tier is ready. */
  pump(): void {
    // A grant's start may settle synchronously and call pump again: the outer loop picks that up.
    if (this.pumping) return;
    this.pumping = true;
    try {
      // A source that said ready but had nothing to start sits out the rest of this pump (no endless loop).
      const skip = new Set<Tier>();
      while (!this.paused && this.busy < this.slots) {
        const tier = this.pick(skip);
        if (tier === undefined) return;
        const task = this.sources.get(tier)?.start();
        if (task === undefined) {
          this.credit[tier] = 0;
          skip.add(tier);
          continue;
        }
        this.busy++;
        for (const listener of this.listeners) listener({ tier, at: Date.now() });
        const release = (): void => {
          this.busy--;
          this.pump();
        };
        task.then(release, release);
      }
    } finally {
      this.pumping = false;
    }
  }

  /** The tier that gets the next slot (smooth weighted round robin over the ready tiers), or undefined if none is ready. */
  private pick(skip: ReadonlySet<Tier>): Tier | undefined {
    let best: Tier | undefined;
    let total = 0;
    for (const tier of TIERS) {
      const source = this.sources.get(tier);
      if (source === undefined || skip.has(tier) || !source.ready()) {
        this.credit[tier] = 0;
        continue;
      }
      this.credit[tier] += this.weights[tier];
      total += this.weights[tier];
      // Ties go to the paid tier: TIERS is free, basic, pro, so >= lets the later (higher) tier win.
      if (best === undefined || this.credit[tier] >= this.credit[best]) best = tier;
    }
    if (best !== undefined) this.credit[best] -= total;
    return best;
  }
}
