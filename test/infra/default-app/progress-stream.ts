import { beforeAll, describe, expect, it } from 'vitest';
import { PROGRESS_STREAM_SETTINGS as STREAM_SETTINGS } from '../../../lib/definitions/progress-stream-settings.ts';
import { defaultApp } from '../support/default-app.ts';
import type { SynthResult } from '../support/synth-app.ts';
import { logicalIdAt, mentions, resources, type CfnResource } from '../support/template-queries.ts';

export function describeProgressStream(): void {
  describe('progress stream (Jobs table stream → progress-notifier)', () => {
    let synth: SynthResult;
    let mapping: CfnResource;

    beforeAll(() => {
      synth = defaultApp();
      const notifierId = logicalIdAt(synth.service, 'AWS::Lambda::Function', 'ProgressStream/Notifier/Function/');
      const found = Object.values(resources(synth.service, 'AWS::Lambda::EventSourceMapping')).filter((m) => mentions(m.Properties?.FunctionName, notifierId));
      expect(found).toHaveLength(1);
      mapping = found[0];
    });

    it('reads the Jobs table stream from LATEST with no batching window, so progress is pushed at once', () => {
      const jobsTableId = logicalIdAt(synth.stateful, 'AWS::DynamoDB::Table', 'Tables/Jobs/');

      // The stream ARN comes from the stateful stack; the import name embeds the Jobs table's logical id.
      expect(JSON.stringify(mapping.Properties?.EventSourceArn)).toContain(`${jobsTableId}StreamArn`);
      expect(mapping.Properties).toMatchObject({ StartingPosition: 'LATEST', BatchSize: STREAM_SETTINGS.batchSize });
      expect(mapping.Properties?.MaximumBatchingWindowInSeconds ?? 0).toBe(0);
    });

    it('bounds failure: retries, bisects a failing batch, reports item failures and parks the rest on an SQS DLQ', () => {
      const dlqId = logicalIdAt(synth.service, 'AWS::SQS::Queue', 'ProgressStream/FailedRecords/');

      expect(mapping.Properties).toMatchObject({
        MaximumRetryAttempts: STREAM_SETTINGS.retryAttempts,
        BisectBatchOnFunctionError: true,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ParallelizationFactor: STREAM_SETTINGS.parallelizationFactor,
        MaximumRecordAgeInSeconds: STREAM_SETTINGS.maxRecordAgeSeconds,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlqId, 'Arn'] } } },
      });
      expect(STREAM_SETTINGS.retryAttempts).toBeGreaterThan(0);
      expect(STREAM_SETTINGS.retryAttempts).toBeLessThanOrEqual(5);
    });

    it('filters to INSERT and MODIFY: TTL deletions (REMOVE) never invoke the notifier', () => {
      const filters = (mapping.Properties?.FilterCriteria as { Filters: { Pattern: string }[] }).Filters;

      expect(filters).toHaveLength(1);
      expect(JSON.parse(filters[0].Pattern)).toEqual({ eventName: ['INSERT', 'MODIFY'] });
    });

    it('declares the Jobs stream with both images, from table-schema.ts', () => {
      const jobs = resources(synth.stateful, 'AWS::DynamoDB::Table')[logicalIdAt(synth.stateful, 'AWS::DynamoDB::Table', 'Tables/Jobs/')];

      expect(jobs.Properties?.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
    });
  });
}
