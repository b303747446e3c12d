import { beforeAll, describe, expect, it } from 'vitest';
import { TABLES } from '../../../lambdas/adapters/table-schema.ts';
import { HTTP_ROUTES } from '../../../lib/definitions/http-routes.ts';
import { defaultApp } from '../support/default-app.ts';
import type { SynthResult } from '../support/synth-app.ts';
import { cdkPath, logicalIdAt, resources, type CfnResource } from '../support/template-queries.ts';

export function describeFunctionsAndState(): void {
  describe('functions and stateful resources', () => {
    let synth: SynthResult;
    // Ours: CDK's own BucketDeployment helper (web hosting) is CDK's code and runtime, not one of the service's functions.
    const allFunctions = (): [string, CfnResource][] =>
      [synth.service, synth.stateful].flatMap((t) => Object.entries(resources(t, 'AWS::Lambda::Function'))).filter(([, fn]) => !cdkPath(fn).includes('/Custom::CDKBucketDeployment'));

    beforeAll(() => {
      synth = defaultApp();
    });

    it('runs every function on nodejs24.x and arm64, traced, with Powertools settings and its own log group', () => {
      // One per HTTP route + 3 workers + sweeper + notifier + leaderboard recorder + 4 WebSocket functions + the Cognito trigger.
      expect(allFunctions()).toHaveLength(Object.keys(HTTP_ROUTES).length + 11);
      for (const [id, fn] of allFunctions()) {
        const props = fn.Properties ?? {};
        expect(props.Runtime, id).toBe('nodejs24.x');
        expect(props.Architectures, id).toEqual(['arm64']);
        expect(props.TracingConfig, id).toEqual({ Mode: 'Active' });
        expect(props.LoggingConfig, id).toMatchObject({ LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) } });
        expect((props.Environment as { Variables: Record<string, unknown> }).Variables, id).toMatchObject({
          POWERTOOLS_SERVICE_NAME: 'backtest-queue',
          LOG_LEVEL: 'INFO',
        });
      }
    });

    it('sets no FAULT_* variable on any function: fault injection is off unless the faults context asks for it', () => {
      const withFaults = allFunctions()
        .filter(([, fn]) => Object.keys((fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables).some((name) => name.startsWith('FAULT_')))
        .map(([, fn]) => cdkPath(fn));

      expect(withFaults).toEqual([]);
    });

    it('keeps every function log group for the configured retention', () => {
      const logGroups = [synth.service, synth.stateful].flatMap((t) => Object.values(resources(t, 'AWS::Logs::LogGroup')));

      expect(logGroups.length).toBeGreaterThanOrEqual(allFunctions().length);
      for (const group of logGroups) expect(group.Properties?.RetentionInDays, cdkPath(group)).toBe(30);
    });

    it.each(TABLES.map((t) => [t.id, t] as const))('builds the %s table from table-schema.ts: keys, indexes, TTL, stream', (id, def) => {
      const table = resources(synth.stateful, 'AWS::DynamoDB::Table')[logicalIdAt(synth.stateful, 'AWS::DynamoDB::Table', `Tables/${id}/`)] as CfnResource & { DeletionPolicy?: string };
      const props = table.Properties ?? {};
      const keySchema = [{ AttributeName: def.partitionKey.name, KeyType: 'HASH' }, ...(def.sortKey ? [{ AttributeName: def.sortKey.name, KeyType: 'RANGE' }] : [])];

      expect(props.KeySchema).toEqual(keySchema);
      expect(((props.GlobalSecondaryIndexes ?? []) as { IndexName: string; Projection: { ProjectionType: string } }[]).map((i) => [i.IndexName, i.Projection.ProjectionType])).toEqual(
        def.globalSecondaryIndexes.map((i) => [i.indexName, i.projection]),
      );
      expect(props.TimeToLiveSpecification).toEqual(def.timeToLiveAttribute ? { AttributeName: def.timeToLiveAttribute, Enabled: true } : undefined);
      expect(props.StreamSpecification).toEqual(def.stream ? { StreamViewType: def.stream } : undefined);
      expect(props.BillingMode).toBe('PAY_PER_REQUEST');
      expect(props.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(table.DeletionPolicy).toBe('Retain');
      expect(props.TableName).toBeUndefined();
    });

    it('keeps market data in a private, encrypted, TLS-only bucket that survives stack deletion', () => {
      const bucketId = logicalIdAt(synth.stateful, 'AWS::S3::Bucket', 'MarketData/');
      const bucket = resources(synth.stateful, 'AWS::S3::Bucket')[bucketId] as CfnResource & { DeletionPolicy?: string };
      const policy = Object.values(resources(synth.stateful, 'AWS::S3::BucketPolicy')).find((p) => JSON.stringify(p.Properties?.Bucket).includes(bucketId));

      expect(bucket.DeletionPolicy).toBe('Retain');
      expect(bucket.Properties?.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(JSON.stringify(bucket.Properties?.BucketEncryption)).toContain('AES256');
      expect(JSON.stringify(policy?.Properties?.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    });

    it('creates a user pool whose clients cannot write their own tier, with an admin group and the pre-token trigger', () => {
      const pool = resources(synth.stateful, 'AWS::Cognito::UserPool')[logicalIdAt(synth.stateful, 'AWS::Cognito::UserPool', 'Auth/UserPool/')] as CfnResource & { DeletionPolicy?: string };
      // The app client is in the service stack: its callback URL is the CloudFront distribution's.
      const client = Object.values(resources(synth.service, 'AWS::Cognito::UserPoolClient'))[0];
      const triggerId = logicalIdAt(synth.stateful, 'AWS::Lambda::Function', 'Auth/PreTokenGeneration/Function/');

      expect(pool.DeletionPolicy).toBe('Retain');
      expect(pool.Properties?.AdminCreateUserConfig).toMatchObject({ AllowAdminCreateUserOnly: true });
      expect(pool.Properties?.Schema).toEqual(expect.arrayContaining([expect.objectContaining({ Name: 'tier', Mutable: true, AttributeDataType: 'String' })]));
      expect(pool.Properties?.LambdaConfig).toEqual({ PreTokenGeneration: { 'Fn::GetAtt': [triggerId, 'Arn'] } });
      expect(client.Properties?.ReadAttributes).toContain('custom:tier');
      expect(client.Properties?.WriteAttributes).not.toContain('custom:tier');
      synth.stateful.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: 'admin' });
    });
  });
}
