import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  billedLambdaMs,
  eventualReadUnits,
  gbSecondPrice,
  httpApiRequestUnits,
  mauPrice,
  monthlyCost,
  oldDesignMonthlyCost,
  progressWritesPerJob,
  sqsRequestUnits,
  tracesRecorded,
  webSocketMessageUnits,
  writeUnits,
  type CostInputs,
  type Prices,
  type TierMonth,
} from '../../bench/capacity/cost-model.ts';
import { runScenario, type ModelInputs } from '../../bench/capacity/capacity-model.ts';
import type { JobDurations } from '../../bench/capacity/measure-jobs.ts';

const DIR = join(import.meta.dirname, '../../bench/capacity');
const CONSTRUCTS = join(import.meta.dirname, '../../lib/constructs');
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

  it('names a source, or says there is none, for every price it holds', () => {
    // Every number in a price section (not the section's note, not the old design's vCPU count) is a price.
    const { sources } = prices as unknown as { sources: Record<string, { status: string; urls: string[] }> };
    const priced: string[] = [];
    for (const [section, value] of Object.entries(prices as unknown as Record<string, unknown>)) {
      if (value === null || typeof value !== 'object' || section === 'sources') continue;
      for (const [key, v] of Object.entries(value)) if (typeof v === 'number' && key !== 'ec2C7gLargeVcpus') priced.push(`${section}.${key}`);
    }
    expect(priced.length).toBeGreaterThan(20);
    for (const path of priced) {
      const source = sources[path];
      expect(source, path).toBeDefined();
      expect(source.status, path).toMatch(/^(verified|verified \(secondary\)|secondary only|not verified: no source found)$/);
      // A price that claims a source lists it; one that does not says so instead of inventing one.
      if (source.status === 'not verified: no source found') expect(source.urls, path).toEqual([]);
      else expect(source.urls.length, path).toBeGreaterThan(0);
    }
  });

  it('prices the Lambda architecture the stack deploys', () => {
    // Every function is a BacktestFunction; whatever architecture a construct sets must be the model's.
    const set = new Set<string>();
    for (const file of readdirSync(CONSTRUCTS).filter((f) => f.endsWith('.ts'))) {
      for (const m of readFileSync(join(CONSTRUCTS, file), 'utf8').matchAll(/Architecture\.(ARM_64|X86_64)/g)) set.add(m[1] === 'ARM_64' ? 'arm64' : 'x86_64');
    }
    expect([...set]).toEqual([inputs.lambda.architecture]);
    expect(gbSecondPrice(prices, 'arm64')).toBe(prices.lambda.arm64GbSecond);
    expect(gbSecondPrice(prices, 'x86_64')).toBe(prices.lambda.x86GbSecond);
    // Graviton is 20 % cheaper per GB-s; if the two were swapped or equal, the model's choice would mean nothing.
    expect(prices.lambda.arm64GbSecond / prices.lambda.x86GbSecond).toBeCloseTo(0.8, 3);
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

  it('reads at half a unit per 4 KB when eventually consistent', () => {
    expect(eventualReadUnits(4)).toBe(0.5);
    expect(eventualReadUnits(4.1)).toBe(1);
    expect(eventualReadUnits(8)).toBe(1);
  });

  it('meters SQS per 64 KB, WebSocket messages per 32 KB, HTTP API requests per 512 KB, Lambda per started ms', () => {
    expect([sqsRequestUnits(0.2), sqsRequestUnits(64), sqsRequestUnits(65), sqsRequestUnits(256)]).toEqual([1, 1, 2, 4]);
    expect([webSocketMessageUnits(0.5), webSocketMessageUnits(32), webSocketMessageUnits(33), webSocketMessageUnits(128)]).toEqual([1, 1, 2, 4]);
    expect([httpApiRequestUnits(35), httpApiRequestUnits(512), httpApiRequestUnits(513)]).toEqual([1, 1, 2]);
    expect([billedLambdaMs(0.2), billedLambdaMs(40), billedLambdaMs(40.0001)]).toEqual([1, 40, 41]);
  });

  it('bills a message over 32 KB as several WebSocket messages and one over 64 KB as several SQS requests', () => {
    // Prepare: 1,000 one-second jobs (4 progress writes each), with small and with large messages.
    const tiers = { free: idle, basic: { ...idle, jobs: 1000, billedMsPerJob: 1000, runMsPerJob: 1000 }, pro: idle };
    const big: CostInputs = { ...inputs, perJob: { ...inputs.perJob, wsMessageKb: 33, sqsMessageKb: 65 } };
    const small: CostInputs = { ...inputs, perJob: { ...inputs.perJob, wsMessageKb: 1, sqsMessageKb: 1 } };
    // Act
    const [b, s] = [monthlyCost(tiers, big, prices), monthlyCost(tiers, small, prices)];
    // Assess: 7,000 outbound (4 progress + claim + result + snapshot per job) count twice; the 1,000 subscribes once.
    expect(line(b, 'WebSocket messages').quantity - line(s, 'WebSocket messages').quantity).toBe(7000);
    // Send and receive carry the message (2 chunks each instead of 1); the delete does not.
    expect(line(b, 'send, receive').quantity - line(s, 'send, receive').quantity).toBe(1000 * 2);
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

  it('counts one stream record per job write and one push per record a subscriber can see', () => {
    // 1,000 jobs of 1 s: the submit's insert, the claim, 4 progress writes and the result are 7 records (the stream
    // invokes the notifier for INSERT and MODIFY); the insert precedes the subscription, so 6 pushes + the snapshot,
    // and 1 subscribe message in.
    const tiers = { free: idle, basic: { ...idle, jobs: 1000, billedMsPerJob: 1000, runMsPerJob: 1000 }, pro: idle };
    const r = monthlyCost(tiers, inputs, prices);
    expect(line(r, 'stream reads').quantity).toBe(7000);
    expect(line(r, 'WebSocket messages').quantity).toBe(6000 + 1000 + 1000);
    expect(line(r, 'reads').quantity).toBeCloseTo(
      1000 * (inputs.perJob.submitReadUnits + eventualReadUnits(inputs.perJob.readsAfterFinishKb) + inputs.perJob.subscribeReadUnits) + 7000 * inputs.perJob.notifierReadUnitsPerRecord,
      6,
    );
    const p = inputs.perJob;
    const wru = 1000 * (p.submitWriteUnits + p.claimWriteUnits + writeUnits(p.resultItemKb) + p.subscribeWriteUnits) + 4000 * p.progressWriteUnits;
    expect(line(r, 'writes').quantity).toBe(wru);
    expect(line(r, 'writes').usd).toBeCloseTo((wru / 1e6) * prices.dynamodb.onDemandWriteRequestUnitPerMillion, 10);
  });

  it('records every request within the reservoir, then 5 % of the rest', () => {
    const sampling = { reservoirPerSecond: 1, fixedRate: 0.05 };
    const month = 30 * 86_400;
    expect(tracesRecorded(1e6, 1, month, sampling)).toBe(1e6); // 0.39 requests a second: all of them
    expect(tracesRecorded(10e6, 1, month, sampling)).toBeCloseTo(month + 0.05 * (10e6 - month), 6);
    expect(tracesRecorded(10e6, 4, month, sampling)).toBe(10e6); // four functions, each under one a second
    expect(tracesRecorded(0, 4, month, sampling)).toBe(0);
  });

  it('prices the X-Ray traces of every function', () => {
    const tiers = { free: idle, basic: { ...idle, jobs: 1e6, users: 1e4, billedMsPerJob: 1000, runMsPerJob: 1000 }, pro: idle };
    const r = monthlyCost(tiers, inputs, prices);
    const xray = line(r, 'traces recorded');
    // At least the worker's reservoir; at most every invocation.
    expect(xray.quantity).toBeGreaterThan(inputs.usage.daysPerMonth * 86_400 * 0.3);
    expect(xray.quantity).toBeLessThanOrEqual(line(r, 'requests (all functions)').quantity);
    expect(xray.usd).toBeCloseTo((xray.quantity / 1e6) * prices.xRay.tracesRecordedPerMillion, 10);
  });

  it('keeps fixed lines at zero load and adds up its lines', () => {
    const r = monthlyCost({ free: idle, basic: idle, pro: idle }, inputs, prices);
    expect(r.jobs).toBe(0);
    expect(line(r, 'send, receive').quantity).toBeGreaterThan(0); // idle long polls of the event source mappings
    expect(line(r, 'custom metrics').usd).toBeGreaterThan(0);
    expect(r.totalUsd).toBeCloseTo(r.lines.reduce((s, l) => s + l.usd, 0), 10);
  });

  it('prices the Cognito feature plan the stack deploys, per monthly active user', () => {
    const plans = [...readFileSync(join(CONSTRUCTS, 'auth.ts'), 'utf8').matchAll(/FeaturePlan\.(LITE|ESSENTIALS|PLUS)/g)].map((m) => m[1].toLowerCase());
    expect(plans).toEqual([inputs.auth.featurePlan]);
    // A user who signs in counts whether or not they submit.
    const tiers = { free: { ...idle, users: 1000 }, basic: { ...idle, users: 500, jobs: 100, billedMsPerJob: 100, runMsPerJob: 100 }, pro: idle };
    const cognito = line(monthlyCost(tiers, inputs, prices), 'user pool monthly active users');
    expect(cognito.quantity).toBe(1500);
    expect(cognito.usd).toBeCloseTo(1500 * prices.cognito.essentialsMauMonth, 10);
    expect(mauPrice(prices, 'lite')).toBeLessThan(mauPrice(prices, 'essentials'));
    expect(mauPrice(prices, 'essentials')).toBeLessThan(mauPrice(prices, 'plus'));
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
