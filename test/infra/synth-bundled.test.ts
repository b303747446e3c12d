import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_ROUTES } from '../../lib/definitions/http-routes.ts';
import { synthBacktestApp, type SynthResult } from './support/synth-app.ts';
import { cdkPath, placeholderEnv, resources, type CfnResource } from './support/template-queries.ts';

const execFileAsync = promisify(execFile);
const COLD_STARTS_AT_ONCE = 4;

describe('cdk synth with bundling and the AwsSolutions checks', () => {
  let synth: SynthResult;

  beforeAll(() => {
    // The one synth that runs esbuild on every handler, as `cdk synth` / `cdk deploy` do.
    synth = synthBacktestApp({ bundle: true });
  // About 110 s alone on the shared 2-core box (every function and the web app are bundled); far more beside other files.
  }, 400_000);

  afterAll(() => {
    if (synth) rmSync(synth.outdir, { recursive: true, force: true });
  });

  it('reports no AwsSolutions finding that is not acknowledged with a reason', () => {
    const open = synth.report.pluginReports.flatMap((r) => r.violations.map((v) => `${r.pluginName} ${v.severity} ${v.ruleName}`));

    expect(open).toEqual([]);
  });

  it('bundles every function as an ESM module with a source map', () => {
    const assets = JSON.parse(readFileSync(join(synth.outdir, `${synth.stacks.service.stackName}.assets.json`), 'utf8')) as {
      files: Record<string, { source: { path: string; packaging?: string } }>;
    };
    const zipDirs = Object.values(assets.files).filter((f) => f.source.packaging === 'zip').map((f) => join(synth.outdir, f.source.path));
    // Not function code: the built web app (index.html), its generated config.json, and CDK's BucketDeployment helper (Python).
    const codeDirs = zipDirs.filter((dir) => !['index.html', 'config.json', 'index.py'].some((file) => existsSync(join(dir, file))));
    expect(zipDirs.filter((dir) => existsSync(join(dir, 'index.html')))).toHaveLength(1);

    // One per HTTP route, the sweeper, the progress notifier, the leaderboard recorder and 4 WebSocket functions, plus
    // one bundle the three workers share (the Cognito trigger is in the stateful stack).
    expect(codeDirs).toHaveLength(Object.keys(HTTP_ROUTES).length + 8);
    for (const dir of codeDirs) {
      expect(existsSync(join(dir, 'index.mjs')), dir).toBe(true);
      expect(existsSync(join(dir, 'index.mjs.map')), dir).toBe(true);
    }
  });

  // Cold starts (issue 12, docs/performance.md): guards on what a bundle holds, without timing anything.
  it('bundles no classic zod and no ES import of node:http, which would cost every cold start', () => {
    const assets = JSON.parse(readFileSync(join(synth.outdir, `${synth.stacks.service.stackName}.assets.json`), 'utf8')) as {
      files: Record<string, { source: { path: string; packaging?: string } }>;
    };
    const bundles = Object.values(assets.files)
      .map((f) => join(synth.outdir, f.source.path, 'index.mjs'))
      .filter((file) => existsSync(file));
    expect(bundles.length).toBeGreaterThan(Object.keys(HTTP_ROUTES).length);
    for (const file of bundles) {
      const code = readFileSync(file, 'utf8');
      // Only classic zod carries every locale; "Ongeldige invoer" is its Dutch "Invalid input". zod/mini has none but
      // the English one engine/zod-mini.ts configures.
      expect(code.includes('Ongeldige invoer'), `${file} bundles classic zod (import { z } from 'zod')`).toBe(false);
      // An ES import of node:http loads undici (lib/bundling/node-http.cjs says why); the alias routes it around that.
      expect(/from\s*["'](node:)?http["']/.test(code), `${file} imports node:http as an ES module`).toBe(false);
    }
  });

  it('loads every bundle as an ES module exporting handler, given the environment the stack deploys it with', async () => {
    const functions = [synth.service, synth.stateful]
      .flatMap((t) => Object.values(resources(t, 'AWS::Lambda::Function')))
      .filter((fn) => !cdkPath(fn).includes('/Custom::CDKBucketDeployment'));
    const coldStart = async (fn: CfnResource): Promise<{ path: string; stdout: string; stderr: string }> => {
      const hash = /([0-9a-f]{64})\.zip/.exec(JSON.stringify((fn.Properties?.Code as { S3Key: unknown }).S3Key))?.[1];
      expect(hash, cdkPath(fn)).toBeDefined();
      const bundle = pathToFileURL(join(synth.outdir, `asset.${hash}`, 'index.mjs')).href;
      // A fresh Node process, as Lambda gives a cold start: handlers parse their environment when the module loads.
      const { stdout, stderr } = await execFileAsync(
        process.execPath,
        ['--input-type=module', '-e', `const m = await import(${JSON.stringify(bundle)}); process.stdout.write(typeof m.handler);`],
        { env: { PATH: process.env.PATH, AWS_REGION: 'eu-west-1', ...placeholderEnv(fn) }, encoding: 'utf8', timeout: 30_000 },
      ).catch((error: { stdout?: string; stderr?: string; message: string }) => ({ stdout: error.stdout ?? '', stderr: error.stderr || error.message }));
      return { path: cdkPath(fn), stdout, stderr };
    };

    // A few processes at a time: each is mostly Node start-up and module loading, so they overlap well.
    const runs: { path: string; stdout: string; stderr: string }[] = [];
    for (let i = 0; i < functions.length; i += COLD_STARTS_AT_ONCE) {
      runs.push(...(await Promise.all(functions.slice(i, i + COLD_STARTS_AT_ONCE).map(coldStart))));
    }

    expect(runs).toHaveLength(functions.length);
    for (const run of runs) {
      expect(run.stderr, run.path).toBe('');
      expect(run.stdout, run.path).toBe('function');
    }
  });

});
