import { signToken, type LocalKeys } from '../local/keys.ts';
import { TIER_SETTINGS, TIERS, type Tier } from '../lambdas/core/tiers.ts';
import { scenarioJobBody, type Scenario } from './load-scenarios.ts';

/**
 * The stack's own capacity for a scenario's job mix, measured on the running stack before the load starts: a backlog of
 * `jobs` jobs drawn in the scenario's tier proportions is submitted at once, and capacity is the rate at which the last
 * three quarters of them finished (every worker slot busy all along). The first quarter is left out: a fresh stack's
 * first jobs pay for warming up (the engine's and DynamoDB Local's JIT, market data), which a running stack does not. The engine-only figure leaves
 * out what each job costs the stack outside the engine (claim, synthetic data, progress writes, result, notifier,
 * pushes) and what the rest of the machine takes: on the shared 2-core box the stack finished 3 jobs/s of a mix whose
 * engine capacity was 12.7.
 */
export interface StackCapacity {
  /** Jobs counted (the backlog's finishes after its first quarter) and the seconds they took. */
  jobs: number;
  seconds: number;
  jobsPerSecond: number;
  /** Jobs per tier in the backlog. */
  perTier: Record<Tier, number>;
}

interface View {
  status: string;
  startedAt?: string;
  finishedAt?: string;
}

export async function measureStackCapacity(options: {
  httpUrl: string;
  keys: LocalKeys;
  run: string;
  scenario: Scenario;
  random: () => number;
  /** @default 64 */
  jobs?: number;
  timeoutMs?: number;
}): Promise<StackCapacity> {
  const total = options.jobs ?? 64;
  const users = TIERS.reduce((n, t) => n + options.scenario.users[t], 0);
  const perTier = Object.fromEntries(TIERS.map((t) => [t, Math.max(1, Math.round((total * options.scenario.users[t]) / users))])) as Record<Tier, number>;
  // A user per few jobs: free allows 3 submissions a day, and every tier has a per-minute burst.
  const perUser = (tier: Tier): number => Math.max(1, Math.min(3, TIER_SETTINGS[tier].dailySubmissions ?? 3, TIER_SETTINGS[tier].submitRate.burst));
  const submitted: { tier: Tier; token: string; jobId: string }[] = [];
  for (const tier of TIERS) {
    for (let i = 0; i < perTier[tier]; i++) {
      const userId = `capacity-${options.run}-${tier}-${Math.floor(i / perUser(tier))}`;
      const token = await signToken(options.keys, { userId, tier, ttlSeconds: 3600 });
      const res = await fetch(`${options.httpUrl}/backtests`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(scenarioJobBody(tier, options.random)),
      });
      const body = (await res.json()) as { jobId?: string; detail?: string };
      if (res.status !== 202 || body.jobId === undefined) throw new Error(`capacity run: a ${tier} submit answered ${res.status} ${body.detail ?? ''}`);
      submitted.push({ tier, token, jobId: body.jobId });
    }
  }
  const deadline = Date.now() + (options.timeoutMs ?? 300_000);
  const views = new Map<string, View>();
  while (views.size < submitted.length) {
    if (Date.now() > deadline) throw new Error(`capacity run: ${submitted.length - views.size} of ${submitted.length} jobs not finished in time`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const job of submitted) {
      if (views.has(job.jobId)) continue;
      const res = await fetch(`${options.httpUrl}/backtests/${job.jobId}`, { headers: { authorization: `Bearer ${job.token}` } });
      const view = (await res.json()) as View;
      if (view.status === 'succeeded' || view.status === 'failed' || view.status === 'cancelled') views.set(job.jobId, view);
    }
  }
  const ends = [...views.values()].map((v) => Date.parse(v.finishedAt ?? '')).filter(Number.isFinite).sort((a, b) => a - b);
  if (ends.length < 8) throw new Error(`capacity run: only ${ends.length} jobs have a finish time`);
  const skip = Math.floor(ends.length / 4);
  const counted = ends.length - 1 - skip;
  const seconds = Math.max(0.001, (ends[ends.length - 1] - ends[skip]) / 1000);
  return { jobs: counted, seconds, jobsPerSecond: counted / seconds, perTier };
}
