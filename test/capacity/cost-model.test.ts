import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventualReadUnits, monthlyCost, oldDesignMonthlyCost, progressWritesPerJob, writeUnits, type CostInputs, type Prices, type TierMonth } from '../../bench/capacity/cost-model.ts';
import { runScenario, type ModelInputs } from '../../bench/capacity/capacity-model.ts';
import type { JobDurations } from '../../bench/capacity/measure-jobs.ts';

const DIR = join(import.meta.dirname, '../../bench/capacity');
const read = <T>(name: string): T => JSON.parse(readFileSync(join(DIR, name), 'utf8')) as T;
const prices = read<Prices>('prices-us-east-1.json');
const inputs = read<ModelInputs>('model-inputs.json');

const idle: TierMonth = { jobs: 0, users: 0, workerMemoryMb: 1024, billedMsPerJob: 0, runMsPerJob: 0 };
const line = (r: ReturnType<typeof monthlyCost>, item: string) => r.lines.find((l) => l.item.startsWith(item))!;

describe('cost arithmetic', () => {
  it('states when its prices were read', () => {
    expect(prices.readOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(prices.region).toBe('us-east-1');
  });

  it('rounds DynamoDB units the way AWS meters them', () => {
    expect(writeUnits(0.3)).toBe(1);
    expect(writeUnits(60)).toBe(60);
    expect(writeUnits(60.1)).toBe(61);
    expect(eventualReadUnits(1)).toBe(0.5);
    expect(eventualReadUnits(120)).toBe(15);
    expect(progressWritesPerJob(0, 250)).toBe(1);
    expect(progressWritesPerJob(1001, 250)).toBe(5);
  });

  it('bills worker GB-seconds by memory and billed time', () => {
    // Prepare: one million 2 s jobs at 1,024 MB is 2 M GB-s.
    const tiers = { free: { ...idle, jobs: 1e6, billedMsPerJob: 2000, runMsPerJob: 2000 }, basic: idle, pro: idle };
    // Act
    const r = monthlyCost(tiers, inputs, prices);
    // Assess
    const worker = line(r, 'worker compute');
    expect(worker.quantity).toBeCloseTo(2e6, 6);
    expect(worker.usd).toBeCloseTo(2e6 * prices.lambda.arm64GbSecond, 6);
  });

  it('counts one stream record per job write and one push per record', () => {
    // 1,000 jobs of 1 s: 4 progress writes each, plus the claim and the result: 6 records, 6 pushes + the snapshot.
    const tiers = { free: idle, basic: { ...idle, jobs: 1000, billedMsPerJob: 1000, runMsPerJob: 1000 }, pro: idle };
    const r = monthlyCost(tiers, inputs, prices);
    expect(line(r, 'stream reads').quantity).toBe(6000);
    expect(line(r, 'WebSocket messages').quantity).toBe(6000 + 1000 + 1000);
    const p = inputs.perJob;
    const wru = 1000 * (p.submitWriteUnits + p.claimWriteUnits + writeUnits(p.resultItemKb) + p.subscribeWriteUnits) + 4000 * p.progressWriteUnits;
    expect(line(r, 'writes').quantity).toBe(wru);
    expect(line(r, 'writes').usd).toBeCloseTo((wru / 1e6) * prices.dynamodb.onDemandWriteRequestUnitPerMillion, 10);
  });

  it('keeps fixed lines at zero load and adds up its lines', () => {
    const r = monthlyCost({ free: idle, basic: idle, pro: idle }, inputs, prices);
    expect(r.jobs).toBe(0);
    expect(line(r, 'send, receive').quantity).toBeGreaterThan(0); // idle long polls of the event source mappings
    expect(line(r, 'custom metrics').usd).toBeGreaterThan(0);
    expect(r.totalUsd).toBeCloseTo(r.lines.reduce((s, l) => s + l.usd, 0), 10);
  });

  it('charges connection minutes per user whether or not they submit', () => {
    const tiers = { free: { ...idle, users: 1000 }, basic: idle, pro: idle };
    const r = monthlyCost(tiers, inputs, prices);
    const minutes = 1000 * inputs.usage.connectedMinutesPerUserPerDay.free * inputs.usage.daysPerMonth;
    expect(line(r, 'WebSocket connection minutes').quantity).toBe(minutes);
    expect(line(r, 'WebSocket connection minutes').usd).toBeCloseTo((minutes / 1e6) * prices.apiGatewayWebSocket.connectionMinutePerMillion, 10);
  });

  it('sizes the old design for the peak: workers per VM, a spare, always on', () => {
    const r = oldDesignMonthlyCost(5, inputs, prices);
    expect(r.workerVms).toBe(Math.ceil(5 / prices.oldDesign.ec2C7gLargeVcpus) + inputs.oldDesign.spareWorkerVms);
    expect(r.lines[0].usd).toBeCloseTo(r.workerVms * prices.oldDesign.ec2C7gLargeHour * 730, 6);
  });
});

describe('runScenario', () => {
  const durations = read<JobDurations>('job-durations.json');
  it('is deterministic and needs more concurrency for more users', () => {
    const small = runScenario({ name: 'a', users: 1000 }, inputs, durations, prices, 1);
    const again = runScenario({ name: 'a', users: 1000 }, inputs, durations, prices, 1);
    const big = runScenario({ name: 'b', users: 200_000 }, inputs, durations, prices, 1);
    expect(again).toEqual(small);
    const pro = (o: typeof small) => o.tiers.find((t) => t.tier === 'pro')!;
    expect(pro(big).needed.concurrency).toBeGreaterThan(pro(small).needed.concurrency);
    expect(pro(big).needed.meanWaitMs).toBeLessThan(30_000);
    expect(pro(big).needed.concurrency).toBeGreaterThan(pro(big).offeredConcurrency);
    expect(big.serverless.totalUsd).toBeGreaterThan(small.serverless.totalUsd * 50);
  });
});
