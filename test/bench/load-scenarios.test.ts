import { describe, expect, it } from 'vitest';
import { planOffer, planOnStack, scenarioJobBody, scenarioSchedule, SCENARIOS } from '../../bench/load-scenarios.ts';
import { waitChartSvg } from '../../bench/load-chart.ts';
import { seededRandom } from '../../bench/load-stats.ts';
import { submitRequestSchema } from '../../lambdas/core/submit-schema.ts';
import { estimateWork, MAX_BAR_EVALUATIONS } from '../../lambdas/core/use-cases/work-estimate.ts';
import { validateSpec } from '../../engine/index.ts';
import { TIER_SETTINGS, TIERS } from '../../lambdas/core/tiers.ts';

describe('load scenarios', () => {
  it.each(TIERS)('draws %s jobs the API accepts: valid body, inside the grid cap and the work cap', (tier) => {
    const random = seededRandom(5);
    for (let i = 0; i < 200; i++) {
      const body = scenarioJobBody(tier, random);
      const parsed = submitRequestSchema.parse(body);
      const { combinations } = validateSpec({ strategyId: parsed.strategyId, params: parsed.params as never, initialCash: 10_000, commission: 0 });
      expect(combinations).toBeLessThanOrEqual(TIER_SETTINGS[tier].maxCombinations);
      expect(estimateWork(parsed, combinations, Date.now()).barEvaluations).toBeLessThanOrEqual(MAX_BAR_EVALUATIONS);
    }
  });

  it('spaces a user\'s submissions 30-120 s apart and thins them with the submit probability', () => {
    const random = seededRandom(9);
    const all = scenarioSchedule(SCENARIOS.steady, 3_600_000, 1, random);
    for (let i = 1; i < all.length; i++) {
      expect(all[i] - all[i - 1]).toBeGreaterThanOrEqual(30_000);
      expect(all[i] - all[i - 1]).toBeLessThanOrEqual(120_000);
    }
    expect(all.every((t) => t >= 0 && t < 3_600_000)).toBe(true);
    // Over many users, a probability of 0.25 keeps about a quarter of the slots.
    let kept = 0;
    let slots = 0;
    for (let u = 0; u < 400; u++) {
      kept += scenarioSchedule(SCENARIOS.steady, 600_000, 0.25, random).length;
      slots += scenarioSchedule(SCENARIOS.steady, 600_000, 1, random).length;
    }
    expect(kept / slots).toBeGreaterThan(0.2);
    expect(kept / slots).toBeLessThan(0.3);
  });

  it('reaches the offer by thinning the 30-120 s schedule, or by shortening the gaps when every submission is not enough', () => {
    // 1,000 users at a mean gap of 75 s: 8 free, 3.33 basic, 2 pro jobs/s; 0.8 + 1 + 2 = 3.8 core-seconds/s on 2 cores.
    const engine = { free: 0.1, basic: 0.3, pro: 1 };
    const thin = planOffer({ ...SCENARIOS.steady, offer: 0.7 }, 2, engine);
    expect(thin.intervalSeconds).toEqual({ min: 30, max: 120 });
    expect(thin.plannedOffer).toBeCloseTo(1.9, 6);
    expect(thin.submitProbability).toBeCloseTo(0.7 / 1.9, 6);
    expect(thin.offer).toBeCloseTo(0.7, 6);
    expect(thin.capacityJobsPerSecond).toBeCloseTo(2 / (3.8 / (1000 / 75)), 6);

    const dense = planOffer({ ...SCENARIOS.overload, offer: 3.8 }, 2, engine);
    expect(dense.submitProbability).toBe(1);
    expect(dense.offer).toBeCloseTo(3.8, 6);
    expect(dense.intervalSeconds).toEqual({ min: 15, max: 60 });
    expect(dense.plannedJobsPerSecond).toBeCloseTo(1000 / 37.5, 6);
    // Capacity is the machine's, not the schedule's.
    expect(dense.capacityJobsPerSecond).toBeCloseTo(thin.capacityJobsPerSecond, 6);
  });

  it('re-plans the offer on the stack\'s measured capacity: the same offer of a smaller capacity, the engine figure kept', () => {
    const engine = planOffer({ ...SCENARIOS.steady, offer: 0.7 }, 2, { free: 0.1, basic: 0.3, pro: 1 });
    const stack = { jobs: 48, seconds: 24, jobsPerSecond: engine.capacityJobsPerSecond / 4, perTier: { free: 29, basic: 12, pro: 7 } };

    const onStack = planOnStack({ ...SCENARIOS.steady, offer: 0.7 }, 2, engine, stack);

    expect(onStack.capacityJobsPerSecond).toBeCloseTo(stack.jobsPerSecond, 6);
    expect(onStack.engineCapacityJobsPerSecond).toBeCloseTo(engine.capacityJobsPerSecond, 6);
    expect(onStack.meanEngineSeconds).toEqual(engine.meanEngineSeconds);
    expect(onStack.offer).toBeCloseTo(0.7, 6);
    // A quarter of the capacity: 0.7 of it needs a quarter of the submissions the engine figure kept.
    expect(onStack.submitProbability).toBeCloseTo(engine.submitProbability / 4, 6);
  });

  it('draws the chart of wait per tier: a line per tier through its mean waits, and a text alternative', () => {
    const svg = waitChartSvg(
      [
        { tier: 'pro', submittedS: 1, waitS: 0.5 },
        { tier: 'pro', submittedS: 12, waitS: 1.5 },
        { tier: 'free', submittedS: 3, waitS: 112 },
      ],
      'wait <test>',
    );
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('<title id="t">wait &lt;test&gt;</title>');
    expect(svg).toContain('free: 1 jobs, max wait 112.0 s');
    expect(svg).toContain('basic: no jobs');
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg.match(/<circle /g)).toHaveLength(3);
    // Every dot inside the plot area (the y axis reaches past the largest wait).
    for (const m of svg.matchAll(/<circle cx="[\d.]+" cy="([\d.-]+)"/g)) expect(Number(m[1])).toBeGreaterThanOrEqual(36);
  });
});
