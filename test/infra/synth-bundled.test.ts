import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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

  /** Every bundled index.mjs of the service stack (functions only: the web app's assets have none). */
  const bundleFiles = (): string[] => {
    const assets = JSON.parse(readFileSync(join(synth.outdir, `${synth.stacks.service.stackName}.assets.json`), 'utf8')) as {
      files: Record<string, { source: { path: string; packaging?: string } }>;
    };
    return Object.values(assets.files)
      .map((f) => join(synth.outdir, f.source.path, 'index.mjs'))
      .filter((file) => existsSync(file));
  };

  /** The file URL of a function's bundle, from the asset hash in its Code. */
  const bundleOf = (fn: CfnResource): string => {
    const hash = /([0-9a-f]{64})\.zip/.exec(JSON.stringify((fn.Properties?.Code as { S3Key: unknown }).S3Key))?.[1];
    expect(hash, cdkPath(fn)).toBeDefined();
    return pathToFileURL(join(synth.outdir, `asset.${hash}`, 'index.mjs')).href;
  };

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
    const bundles = bundleFiles();
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

  // The default credential chain's other links (SSO, INI profiles, credential_process, web identity, login, container
  // and instance metadata) and the STS and SSO clients they build: about 95 KB a bundle that a Lambda never runs, since
  // its credentials are in the environment. lib/bundling/lambda-credentials.ts stands in for the chain.
  it('bundles only the environment link of the credential chain, in every bundle that holds an AWS client', () => {
    const bundles = bundleFiles();
    let withClient = 0;
    for (const file of bundles) {
      const code = readFileSync(file, 'utf8');
      for (const marker of [
        '@aws-sdk/credential-provider-sso', // the providers' debug lines name their package
        '@aws-sdk/credential-provider-ini',
        '@aws-sdk/credential-provider-process',
        '@aws-sdk/credential-provider-web-identity',
        'SWBPortalService', // the SSO client's service target
        'AWSSecurityTokenServiceV20110615', // the STS client's
      ]) {
        expect(code.includes(marker), `${file} bundles ${marker} (the full default credential chain)`).toBe(false);
      }
      if (!code.includes('aws.auth#sigv4')) continue;
      withClient++;
      expect(code.includes('This bundle reads credentials only from the environment'), `${file} has an AWS client without the env-only provider`).toBe(true);
    }
    // Every function but Strategies, Leaderboards, Openapi and the WebSocket authorizer calls AWS.
    expect(withClient).toBeGreaterThan(20);
  });

  it('signs the first call with the credentials Lambda puts in the environment, and says plainly when there are none', async () => {
    // Prepare: GetJob's bundle as deployed, its DynamoDB endpoint a local stub that answers "no such item".
    const getJob = [synth.service, synth.stateful].flatMap((t) => Object.values(resources(t, 'AWS::Lambda::Function'))).find((fn) => cdkPath(fn).includes('/HttpApi/GetJob/'));
    expect(getJob, 'the GetJob function').toBeDefined();
    const seen: string[] = [];
    const stub = createServer((req, res) => {
      seen.push(String(req.headers.authorization));
      req.resume();
      req.on('end', () => res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.0' }).end('{}'));
    });
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
    const event = {
      version: '2.0', routeKey: 'GET /backtests/{jobId}', rawPath: '/backtests/j-1', rawQueryString: '', headers: {}, isBase64Encoded: false, pathParameters: { jobId: 'j-1' },
      requestContext: { http: { method: 'GET', path: '/backtests/j-1' }, routeKey: 'GET /backtests/{jobId}', requestId: 'r-1', authorizer: { jwt: { claims: { sub: 'user-1', tier: 'pro' }, scopes: null } } },
    };
    const context = { functionName: 'GetJob', awsRequestId: 'r-1', invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:GetJob', memoryLimitInMB: '512' };
    const firstCall = async (credentials: Record<string, string>): Promise<{ status: unknown; output: string }> => {
      const script = `const m = await import(${JSON.stringify(bundleOf(getJob!))}); const r = await m.handler(${JSON.stringify(event)}, ${JSON.stringify(context)}); process.stdout.write('\\nstatus ' + r.statusCode);`;
      const { stdout, stderr } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], {
        env: { PATH: process.env.PATH, AWS_REGION: 'eu-west-1', ...placeholderEnv(getJob!), AWS_ENDPOINT_URL: endpoint, ...credentials },
        encoding: 'utf8',
        timeout: 30_000,
      });
      return { status: /\nstatus (\d+)$/.exec(stdout)?.[1], output: stdout + stderr };
    };

    try {
      // Act
      const signed = await firstCall({ AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'session' });
      const requestsWithCredentials = seen.splice(0);
      const without = await firstCall({});

      // Assess
      expect(signed.status, signed.output).toBe('404');
      expect(requestsWithCredentials).toHaveLength(1);
      expect(requestsWithCredentials[0]).toMatch(/^AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE\//);
      expect(without.status, without.output).toBe('500');
      expect(without.output).toContain('No AWS credentials in the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)');
      expect(seen).toHaveLength(0);
    } finally {
      stub.close();
    }
  });

  it('loads every bundle as an ES module exporting handler, given the environment the stack deploys it with', async () => {
    const functions = [synth.service, synth.stateful]
      .flatMap((t) => Object.values(resources(t, 'AWS::Lambda::Function')))
      .filter((fn) => !cdkPath(fn).includes('/Custom::CDKBucketDeployment'));
    const coldStart = async (fn: CfnResource): Promise<{ path: string; stdout: string; stderr: string }> => {
      const bundle = bundleOf(fn);
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
