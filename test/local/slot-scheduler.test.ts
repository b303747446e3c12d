import { describe, expect, it } from 'vitest';
import { SlotScheduler, type SlotSource } from '../../local/slot-scheduler.ts';
import type { Tier } from '../../lambdas/core/tiers.ts';

// The decision the local shared worker pool makes each time a slot frees: whose waiting message goes next.

/** A tier with `backlog` messages waiting; each started invocation stays running until finish() settles it. */
class FakeTier implements SlotSource {
  readonly running: (() => void)[] = [];
  readonly tier: Tier;
  backlog: number;
  private readonly log: Tier[];
  constructor(tier: Tier, backlog: number, log: Tier[]) {
    this.tier = tier;
    this.backlog = backlog;
    this.log = log;
  }
  ready(): boolean {
    return this.backlog > 0;
  }
  start(): Promise<void> | undefined {
    if (this.backlog === 0) return undefined;
    this.backlog--;
    this.log.push(this.tier);
    return new Promise<void>((resolve) => this.running.push(resolve));
  }
  /** Settles the oldest running invocation of this tier. */
  finish(): void {
    this.running.shift()?.();
  }
}

function setUp(slots: number, backlog: Record<Tier, number>): { scheduler: SlotScheduler; tiers: Record<Tier, FakeTier>; log: Tier[] } {
  const scheduler = new SlotScheduler({ slots });
  const log: Tier[] = [];
  const tiers = {
    free: new FakeTier('free', backlog.free, log),
    basic: new FakeTier('basic', backlog.basic, log),
    pro: new FakeTier('pro', backlog.pro, log),
  };
  for (const t of Object.values(tiers)) scheduler.register(t.tier, t);
  return { scheduler, tiers, log };
}

/** Frees one slot of `tier` and waits for the scheduler to hand it on (release runs on the settled promise). */
async function free(scheduler: SlotScheduler, tier: FakeTier): Promise<void> {
  tier.finish();
  await new Promise((resolve) => setImmediate(resolve));
}

describe('local shared worker pool: who gets a freed slot', () => {
  it('with the pool full of free jobs and a backlog in every tier, the next freed slot goes to pro, then basic', async () => {
    const { scheduler, tiers, log } = setUp(2, { free: 2, basic: 0, pro: 0 });
    scheduler.pump();
    expect(log).toEqual(['free', 'free']);
    tiers.free.backlog = 5;
    tiers.basic.backlog = 5;
    tiers.pro.backlog = 5;
    scheduler.pump();
    expect(log).toHaveLength(2); // the pool is full: nothing starts until a slot frees

    await free(scheduler, tiers.free);
    expect(log.slice(2)).toEqual(['pro']);
    await free(scheduler, tiers.free);
    expect(log.slice(2)).toEqual(['pro', 'basic']);
    expect(scheduler.running()).toBe(2);
  });

  it('gives the paid tiers most slots while all three wait, and free still one in fifteen (never starved by pro)', async () => {
    const { scheduler, tiers, log } = setUp(1, { free: 100, basic: 100, pro: 100 });
    scheduler.pump();
    for (let i = 1; i < 30; i++) await free(scheduler, tiers[log[log.length - 1]]);
    const count = (tier: Tier): number => log.filter((t) => t === tier).length;
    // Weights 50 / 20 / 5 (the tier table's maxConcurrency): 10 / 4 / 1 in every 15 grants.
    expect([count('pro'), count('basic'), count('free')]).toEqual([20, 8, 2]);
    expect(log.slice(0, 3)).toEqual(['pro', 'basic', 'pro']);
  });

  it('gives free every slot while the paid tiers are idle, and at least one in five while only basic waits', async () => {
    const { scheduler, tiers, log } = setUp(1, { free: 50, basic: 50, pro: 0 });
    scheduler.pump();
    for (let i = 1; i < 25; i++) await free(scheduler, tiers[log[log.length - 1]]);
    expect(log.filter((t) => t === 'free')).toHaveLength(5);
    expect(log.filter((t) => t === 'basic')).toHaveLength(20);

    tiers.basic.backlog = 0;
    const before = log.length;
    for (let i = 0; i < 5; i++) await free(scheduler, tiers[log[log.length - 1]]);
    expect(log.slice(before)).toEqual(['free', 'free', 'free', 'free', 'free']);
  });

  it('does not let an idle tier save up credit: pro arriving after a long free-only run gets the next slot, not a burst', async () => {
    const { scheduler, tiers, log } = setUp(1, { free: 100, basic: 0, pro: 0 });
    scheduler.pump();
    for (let i = 1; i < 10; i++) await free(scheduler, tiers.free);
    tiers.pro.backlog = 100;
    await free(scheduler, tiers.free);
    for (let i = 0; i < 14; i++) await free(scheduler, tiers[log[log.length - 1]]);
    // From the moment pro waits: 14 of 15 grants pro, 1 free (the shares of two waiting tiers, 50 : 5 rounded).
    const since = log.slice(10);
    expect(since[0]).toBe('pro');
    expect(since.filter((t) => t === 'free').length).toBeLessThanOrEqual(2);
  });

  it('grants nothing while paused (running invocations go on) and catches up on resume', async () => {
    const { scheduler, tiers, log } = setUp(2, { free: 1, basic: 1, pro: 1 });
    scheduler.pause();
    scheduler.pump();
    expect(log).toEqual([]);
    scheduler.resume();
    expect(log).toEqual(['pro', 'basic']);
    await free(scheduler, tiers.pro);
    expect(log).toEqual(['pro', 'basic', 'free']);
  });

  it('skips a source that said ready but had nothing to start, without looping', () => {
    const scheduler = new SlotScheduler({ slots: 2 });
    let asked = 0;
    scheduler.register('pro', { ready: () => true, start: () => { asked++; return undefined; } });
    scheduler.pump();
    expect(asked).toBe(1);
    expect(scheduler.running()).toBe(0);
  });
});
