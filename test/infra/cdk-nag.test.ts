import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthBacktestApp, type SynthResult } from './support/synth-app.ts';

describe('cdk synth with bundling and the AwsSolutions checks', () => {
  let synth: SynthResult;

  beforeAll(() => {
    // The one synth that runs esbuild on every handler, as `cdk synth` / `cdk deploy` do.
    synth = synthBacktestApp({ bundle: true });
  }, 180_000);

  it('reports no AwsSolutions finding that is not acknowledged with a reason', () => {
    const open = synth.report.pluginReports.flatMap((r) => r.violations.map((v) => `${r.pluginName} ${v.severity} ${v.ruleName}`));

    expect(open).toEqual([]);
  });

  it('bundles every function as an ESM module with a source map', () => {
    const assets = JSON.parse(readFileSync(join(synth.outdir, `${synth.stacks.service.stackName}.assets.json`), 'utf8')) as {
      files: Record<string, { source: { path: string; packaging?: string } }>;
    };
    const codeDirs = Object.values(assets.files).filter((f) => f.source.packaging === 'zip').map((f) => join(synth.outdir, f.source.path));

    // 13 service functions; the three workers share one bundle.
    expect(codeDirs).toHaveLength(11);
    for (const dir of codeDirs) {
      expect(existsSync(join(dir, 'index.mjs')), dir).toBe(true);
      expect(existsSync(join(dir, 'index.mjs.map')), dir).toBe(true);
    }
  });

  it('fails synthesis when a resource breaks a rule without an acknowledgment (the checks are really on)', () => {
    const synthWithOpenQueue = () =>
      synthBacktestApp({
        extend: ({ service }) => {
          new sqs.Queue(service, 'UnencryptedQueueWithoutTls', { encryption: sqs.QueueEncryption.UNENCRYPTED });
        },
      });

    expect(synthWithOpenQueue).toThrow(/AwsSolutions-SQS4/);
  });
});
