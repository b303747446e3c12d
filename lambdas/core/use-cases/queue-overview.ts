import { ForbiddenError } from '../errors.ts';
import type { Principal } from '../principal.ts';
import type { Clock } from '../ports/clock.ts';
import type { JobQueue } from '../ports/job-queue.ts';
import type { JobRepository } from '../ports/job-repository.ts';
import { TIER_SETTINGS, TIERS, type Tier, type TierSettings } from '../tiers.ts';

export interface TierOverview {
  tier: Tier;
  /** Messages waiting in the tier's queue. */
  waiting: number;
  /** Messages a worker holds. */
  inFlight: number;
  deadLettered: number;
  /** Age of the oldest job still queued, by its creation time; null when none is queued. */
  oldestQueuedAgeSeconds: number | null;
  maxConcurrency: number;
}

/** Per-tier queue state for operators. Admins only (403 for anyone else: the route exists, the caller may not use it). */
export async function queueOverview(
  principal: Principal,
  deps: { jobs: JobRepository; queue: JobQueue; clock: Clock; tiers?: Readonly<Record<Tier, TierSettings>> },
): Promise<{ at: string; tiers: TierOverview[] }> {
  if (!principal.admin) throw new ForbiddenError('The queue overview is for administrators');
  const tiers = deps.tiers ?? TIER_SETTINGS;
  const nowMs = deps.clock.now();
  const rows = await Promise.all(
    TIERS.map(async (tier): Promise<TierOverview> => {
      const [stats, oldest] = await Promise.all([deps.queue.stats(tier), deps.jobs.listLive(tier, 'queued', 1)]);
      const first = oldest[0];
      return {
        tier,
        waiting: stats.waiting,
        inFlight: stats.inFlight,
        deadLettered: stats.deadLettered,
        oldestQueuedAgeSeconds: first ? Math.max(0, Math.floor((nowMs - Date.parse(first.createdAt)) / 1000)) : null,
        maxConcurrency: tiers[tier].maxConcurrency,
      };
    }),
  );
  return { at: new Date(nowMs).toISOString(), tiers: rows };
}
