import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_RECEIVE_COUNT, TIERS, TIER_SETTINGS, VISIBILITY_TIMEOUT_SECONDS, WORKER_TIMEOUT_SECONDS, type Tier } from '../../../lambdas/core/tiers.ts';
import { defaultApp } from '../support/default-app.ts';
import type { SynthResult } from '../support/synth-app.ts';
import { logicalIdAt, mentions, resources, type CfnResource } from '../support/template-queries.ts';

const cap = (tier: Tier): string => tier[0].toUpperCase() + tier.slice(1);

export function describeQueuesAndWorkers(): void {
  describe('tier queues and workers (default context)', () => {
    let synth: SynthResult;
    const mapping = (tier: Tier): CfnResource => {
      const queueId = logicalIdAt(synth.service, 'AWS::SQS::Queue', `JobQueues/${cap(tier)}Queue/`);
      const found = Object.values(resources(synth.service, 'AWS::Lambda::EventSourceMapping')).filter((m) => mentions(m.Properties?.EventSourceArn, queueId));
      expect(found, `one event source mapping on the ${tier} queue`).toHaveLength(1);
      return found[0];
    };
    const worker = (tier: Tier): CfnResource =>
      resources(synth.service, 'AWS::Lambda::Function')[logicalIdAt(synth.service, 'AWS::Lambda::Function', `Workers/${cap(tier)}/Function/`)];

    beforeAll(() => {
      synth = defaultApp();
    });

    it('polls the paid tiers with strictly more concurrency: free < basic < pro, equal to the tier table', () => {
      const concurrency = TIERS.map((tier) => (mapping(tier).Properties?.ScalingConfig as { MaximumConcurrency: number }).MaximumConcurrency);

      expect(concurrency).toEqual(TIERS.map((tier) => TIER_SETTINGS[tier].maxConcurrency));
      expect(concurrency[0]).toBeLessThan(concurrency[1]);
      expect(concurrency[1]).toBeLessThan(concurrency[2]);
    });

    it.each(TIERS)('%s: batch size 1 with partial batch responses', (tier) => {
      expect(mapping(tier).Properties).toMatchObject({ BatchSize: 1, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    });

    it.each(TIERS)('%s: worker reserves no concurrency by default (opt-in), with the tier memory and the worker timeout', (tier) => {
      const props = worker(tier).Properties ?? {};

      // A new account's quota (often 10) cannot hold 75 reserved executions: reservation is opt-in (reservedConcurrency=true).
      expect(props.ReservedConcurrentExecutions).toBeUndefined();
      expect(props.MemorySize).toBe(TIER_SETTINGS[tier].workerMemoryMb);
      expect(props.Timeout).toBe(WORKER_TIMEOUT_SECONDS);
      expect((props.Environment as { Variables: Record<string, unknown> }).Variables.TIER).toBe(tier);
      // Each mapping invokes the worker of its own tier.
      const workerId = logicalIdAt(synth.service, 'AWS::Lambda::Function', `Workers/${cap(tier)}/Function/`);
      expect(mentions(mapping(tier).Properties?.FunctionName, workerId)).toBe(true);
    });

    it.each(TIERS)('%s: the queue redrives to its own DLQ after MAX_RECEIVE_COUNT receives and hides messages >= 6x the worker timeout', (tier) => {
      const queue = resources(synth.service, 'AWS::SQS::Queue')[logicalIdAt(synth.service, 'AWS::SQS::Queue', `JobQueues/${cap(tier)}Queue/`)];
      const dlqId = logicalIdAt(synth.service, 'AWS::SQS::Queue', `JobQueues/${cap(tier)}Dlq/`);
      const props = queue.Properties ?? {};

      expect(props.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: MAX_RECEIVE_COUNT });
      expect(props.VisibilityTimeout).toBe(VISIBILITY_TIMEOUT_SECONDS);
      expect(props.VisibilityTimeout as number).toBeGreaterThanOrEqual(6 * WORKER_TIMEOUT_SECONDS);
      expect(props.SqsManagedSseEnabled).toBe(true);
      expect(resources(synth.service, 'AWS::SQS::Queue')[dlqId].Properties?.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    });

    it('enforces TLS on every queue', () => {
      const queueIds = Object.keys(resources(synth.service, 'AWS::SQS::Queue'));
      const policies = Object.values(resources(synth.service, 'AWS::SQS::QueuePolicy'));

      for (const queueId of queueIds) {
        const policy = policies.find((p) => mentions(p.Properties?.Queues, queueId));
        expect(policy, `queue ${queueId} has a policy`).toBeDefined();
        expect(policy?.Properties?.PolicyDocument).toEqual(
          expect.objectContaining({
            Statement: expect.arrayContaining([
              expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            ]),
          }),
        );
      }
    });
  });
}
