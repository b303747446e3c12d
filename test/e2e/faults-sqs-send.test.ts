import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { FaultRun, startFaultStack, type FaultUser } from './support/fault-run.ts';
import { until } from './support/clients.ts';
import { SHORT_SWEEP, SINGLE_RUN } from './support/requests.ts';

// Half the SQS sends of submit fail (FAULT_SQS_SEND_FAIL_RATE, seeded). The job row and the charge are already
// written when the send fails, so the submit must fail the job (`enqueue_failed`) with a refund in the same step and
// answer 503 + Retry-After: nothing charged for a job that will not run, and no job left `queued` without a message.
let stack: LocalStack;
let run: FaultRun;

beforeAll(async () => {
  stack = await startFaultStack('sqssend', {
    // The submit handler logs every 503 as an error with its stack; here they are the point, not news.
    extraEnv: { FAULT_SQS_SEND_FAIL_RATE: '0.5', FAULT_SEED: '11', LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'CRITICAL' },
  });
  run = new FaultRun('sqs-send', stack);
});

afterAll(async () => {
  await run?.close();
  await stack?.stop();
});

describe('a failing SQS send at submit', () => {
  it('either queues and runs the job, or answers 503 with the job failed and refunded; credits balance exactly', { timeout: 240_000 }, async () => {
    const users: FaultUser[] = [await run.user('free'), await run.user('basic'), await run.user('pro')];
    const plan: [FaultUser, object][] = [
      [users[0], SINGLE_RUN],
      [users[0], SHORT_SWEEP],
      [users[0], { ...SINGLE_RUN, startDate: '2012-01-01' }],
      [users[1], SINGLE_RUN],
      [users[1], SHORT_SWEEP],
      [users[1], { ...SINGLE_RUN, startDate: '2012-01-01' }],
      [users[1], { ...SINGLE_RUN, startDate: '2013-01-01' }],
      [users[2], SINGLE_RUN],
      [users[2], SHORT_SWEEP],
      [users[2], { ...SINGLE_RUN, startDate: '2012-01-01' }],
      [users[2], { ...SINGLE_RUN, startDate: '2013-01-01' }],
      [users[2], { ...SHORT_SWEEP, startDate: '1990-01-01' }],
    ];
    // One at a time: a 503 names no job, so the harness finds it as the one new job in the user's list.
    for (const [user, body] of plan) await run.submit(user, body);

    const summary = await run.verify();
    const refused = run.jobs.filter((j) => j.submitStatus === 503).length;
    console.log(`faults sqs-send: ${plan.length - refused} submit(s) queued, ${refused} answered 503 (job failed enqueue_failed, refunded)`);
    expect(summary).toMatchObject({ submitted: plan.length, completed: plan.length - refused, failedAsIntended: refused, lost: 0, doubleCharges: 0 });
    // The fault hit some submits and spared others, so both paths were taken.
    expect(refused).toBeGreaterThanOrEqual(1);
    expect(refused).toBeLessThan(plan.length);
    // A refused job never ran, and nothing is left on a queue.
    const admin = await run.admin();
    await until(async () => {
      const view = await admin.call('GET', '/admin/queues');
      return view.body.tiers.every((t: { waiting: number; inFlight: number; deadLettered: number }) => t.waiting === 0 && t.inFlight === 0 && t.deadLettered === 0);
    }, 60_000, 'tier queues empty');
    for (const job of run.jobs.filter((j) => j.submitStatus === 503)) {
      expect((await job.user.api.get(job.jobId)).body).toMatchObject({ status: 'failed', attempts: 0, error: { code: 'enqueue_failed' } });
    }
  });
});
