import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { TIERS } from '../lambdas/core/tiers.ts';
import { runScenario, MEAN_WAIT_GOAL_MS, type ModelInputs, type ScenarioOutcome } from './capacity/capacity-model.ts';
import type { CostReport, Prices } from './capacity/cost-model.ts';
import { measureJobDurations, type JobDurations } from './capacity/measure-jobs.ts';
import { seededRandom, table } from './load-stats.ts';

/**
 * `npm run capacity [-- --measure] [--seed N] [--json FILE] [--markdown]`: the capacity and cost model of the
 * deployed system (docs/performance.md). Reads the measured engine times (capacity/job-durations.json), the model's
 * assumptions (capacity/model-inputs.json) and the prices (capacity/prices-us-east-1.json, dated), simulates the
 * busiest hour of each scenario per tier, and prints waits, the concurrency each tier needs, and the monthly cost line
 * by line beside the old design's. Deterministic: the same files and seed give the same output. `--measure` first
 * re-measures the engine times on this machine (about a minute of one core) and rewrites job-durations.json.
 */

const HERE = join(import.meta.dirname, 'capacity');
const DURATIONS_FILE = join(HERE, 'job-durations.json');

class CapacityOptionsError extends Error {
  override name = 'CapacityOptionsError';
}

function options() {
  const { values } = parseArgs({
    options: {
      measure: { type: 'boolean', default: false },
      'per-tier': { type: 'string', default: '40' },
      seed: { type: 'string', default: '1' },
      json: { type: 'string' },
      markdown: { type: 'boolean', default: false },
      'job-seconds': { type: 'string' },
    },
    strict: true,
  });
  const seed = Number(values.seed);
  const perTier = Number(values['per-tier']);
  if (!Number.isInteger(seed) || seed < 0) throw new CapacityOptionsError(`--seed must be a whole number, got ${values.seed}`);
  if (!Number.isInteger(perTier) || perTier < 5 || perTier > 1000) throw new CapacityOptionsError(`--per-tier must be a whole number from 5 to 1000, got ${values['per-tier']}`);
  let jobSeconds: { min: number; max: number } | undefined;
  if (values['job-seconds'] !== undefined) {
    const m = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(values['job-seconds']);
    if (!m || Number(m[1]) > Number(m[2]) || Number(m[2]) <= 0) throw new CapacityOptionsError(`--job-seconds must be a range like 1-4, got ${values['job-seconds']}`);
    jobSeconds = { min: Number(m[1]), max: Number(m[2]) };
  }
  return { measure: values.measure, perTier, seed, json: values.json, markdown: values.markdown, jobSeconds };
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
const s = (ms: number): string => (ms / 1000).toFixed(ms < 10_000 ? 2 : 0);
const usd = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toFixed(4));
const qty = (x: number): string => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)} k` : x.toFixed(x < 10 ? 2 : 0));

function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function render(outcomes: ScenarioOutcome[], prices: Prices, durations: JobDurations, markdown: boolean): string {
  const t = markdown ? markdownTable : table;
  const out: string[] = [];
  out.push(
    `Capacity model: busiest hour simulated per tier (after ${600 / 60} min of warm-up), engine times measured ${durations.measuredAt.slice(0, 10)} on ${durations.machine}; prices ${prices.region} read ${prices.readOn} (each price names its sources and how well they agree, in the prices file).`,
  );
  const durRows = TIERS.map((tier) => {
    const xs = durations.tiers[tier].map((j) => j.cpuMs).sort((a, b) => a - b);
    const at = (p: number): number => xs[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
    return [tier, String(xs.length), s(xs.reduce((a, b) => a + b, 0) / xs.length), s(at(50)), s(at(95)), s(xs[xs.length - 1])];
  });
  out.push('', 'Measured engine time per job (s, one core, main-thread CPU)', t(['tier', 'jobs', 'mean', 'p50', 'p95', 'max'], durRows));
  for (const o of outcomes) {
    out.push('', `${o.name}: peak-hour waits per tier (s)`);
    out.push(
      t(
        ['tier', 'users', 'peak jobs/s', 'mean job s', 'busy workers', 'configured c', 'wait p50', 'wait p95', 'cold starts', 'c for mean < 30 s', 'its p95', 'c for p95 < 30 s'],
        o.tiers.map((x) => [
          x.tier,
          String(x.users),
          x.peakJobsPerSecond.toFixed(3),
          s(x.meanServiceMs),
          x.offeredConcurrency.toFixed(1),
          String(x.configured.concurrency),
          x.configured.stable ? s(x.configured.waitP50Ms) : `${s(x.configured.waitP50Ms)} (overloaded)`,
          x.configured.stable ? s(x.configured.waitP95Ms) : `${s(x.configured.waitP95Ms)} (growing)`,
          `${(x.configured.coldStartShare * 100).toFixed(1)} %`,
          String(x.needed.concurrency),
          s(x.needed.waitP95Ms),
          String(x.neededForP95),
        ]),
      ),
    );
    out.push(`Reserved concurrency to run every tier at max(configured, needed): ${o.reservedConcurrencyNeeded} (default account limit 1,000, of which 100 must stay unreserved).`);
    out.push('', `${o.name}: serverless cost per month (${qty(o.serverless.jobs)} jobs): $${usd(o.serverless.totalUsd)}, $${usd(o.serverless.usdPer1000Jobs)} per 1,000 jobs`);
    out.push(costTable(o.serverless, t));
    out.push('', `${o.name}: old design per month (Redis + always-on workers for ${o.tiers.reduce((a, x) => a + x.needed.concurrency, 0)} workers at the peak): $${usd(o.oldDesign.totalUsd)}, $${usd((o.oldDesign.totalUsd / o.serverless.jobs) * 1000)} per 1,000 jobs`);
    out.push(costTable(o.oldDesign, t));
  }
  out.push('', `Goal used for "needed": mean queue wait under ${MEAN_WAIT_GOAL_MS / 1000} s in the busiest hour. Waits include SQS polling and cold-start init.`);
  return out.join('\n');
}

function costTable(report: CostReport, t: typeof table): string {
  return t(
    ['service', 'item', 'quantity', 'unit', 'USD / month'],
    [...report.lines.map((l) => [l.service, l.item, qty(l.quantity), l.unit, usd(l.usd)]), ['total', '', '', '', usd(report.totalUsd)]],
  );
}

function uniformDurations(measured: JobDurations, range: { min: number; max: number }, seed: number): JobDurations {
  const random = seededRandom(seed);
  const tiers = Object.fromEntries(
    TIERS.map((tier) => [tier, Array.from({ length: 1000 }, () => {
      const ms = (range.min + random() * (range.max - range.min)) * 1000;
      return { label: 'uniform', bars: 0, combinations: 0, cpuMs: ms, wallMs: ms };
    })]),
  ) as JobDurations['tiers'];
  return { ...measured, machine: `not measured: uniform ${range.min}-${range.max} s engine time per job (--job-seconds)`, tiers };
}

async function main(): Promise<void> {
  const opts = options();
  if (opts.measure) {
    console.log(`Measuring ${opts.perTier} jobs per tier through the engine...`);
    const measured = await measureJobDurations(opts.perTier, opts.seed, console.log);
    writeFileSync(DURATIONS_FILE, `${JSON.stringify(measured, null, 1)}\n`);
    console.log(`Wrote ${DURATIONS_FILE}\n`);
  }
  const measured = readJson<JobDurations>(DURATIONS_FILE);
  // --job-seconds replaces the measured engine times with a uniform range (e.g. the old system's 1-4 s) in every tier.
  const durations: JobDurations = opts.jobSeconds === undefined ? measured : uniformDurations(measured, opts.jobSeconds, opts.seed);
  const inputs = readJson<ModelInputs>(join(HERE, 'model-inputs.json'));
  const prices = readJson<Prices>(join(HERE, 'prices-us-east-1.json'));
  const outcomes = inputs.scenarios.map((sc) => runScenario(sc, inputs, durations, prices, opts.seed));
  console.log(render(outcomes, prices, durations, opts.markdown));
  if (opts.json) {
    const plain = outcomes.map((o) => ({ ...o }));
    writeFileSync(opts.json, `${JSON.stringify({ pricesReadOn: prices.readOn, durationsMeasuredAt: durations.measuredAt, seed: opts.seed, scenarios: plain }, null, 1)}\n`);
    console.log(`\nWrote ${opts.json}`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof CapacityOptionsError || (error as NodeJS.ErrnoException)?.code === 'ENOENT' ? `${(error as Error).message}` : error);
  process.exit(error instanceof CapacityOptionsError ? 2 : 1);
});
