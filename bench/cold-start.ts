import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { buildFloor, FLOORS } from './cold-start-floor/build.ts';
import { synthBacktestApp } from '../test/infra/support/synth-app.ts';
import { cdkPath, placeholderEnv, resources, type CfnResource } from '../test/infra/support/template-queries.ts';
import { table } from './load-stats.ts';

/**
 * `npm run bench:cold-start [-- --runs 5 --json FILE]`: how long each deployed function's bundle takes to import, the
 * part of a Lambda cold start (INIT) the code controls. Synthesizes the app with esbuild bundling exactly as
 * `cdk deploy` does (minified ESM with the AWS SDK bundled in), then imports each bundle in a fresh Node process with
 * the environment the stack gives the function, `--runs` times, and reports the median wall time (the goal, issue 12:
 * every bundle under 40 ms on this machine) and the median CPU time of the import, which a loaded machine disturbs
 * less. Then, for a few functions, import + the first handler call (what the first user waits for in code): work moved
 * from import into the first request shows there. Their AWS calls go to a local stub that answers `{}` (DynamoDB: no
 * such item) over plain http, so TLS and the network are not in it. Last, the floor: bundles of the AWS SDK clients
 * alone (bench/cold-start-floor/), built with the same esbuild settings and imported the same way.
 */
const execFileAsync = promisify(execFile);
const GOAL_MS = 40;

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, json: { type: 'string' } }, strict: true });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1 || runs > 50) {
  console.error(`--runs must be a whole number from 1 to 50, got ${values.runs}`);
  process.exit(2);
}

interface Timing {
  /** Wall ms of the import. */
  importMs: number;
  /** CPU ms (user + system) of the import. */
  importCpuMs: number;
  /** Wall ms of import + the first handler call, when an event was given. */
  firstCallMs?: number;
  /** CPU ms (user + system) of import + the first handler call, when an event was given. */
  firstCallCpuMs?: number;
  /** The first call's status code, to show it did the real work (404 = looked the job up, found none). */
  status?: number;
}

const RESULT = 'cold-start-result ';

async function coldStart(bundle: string, env: Record<string, string>, event?: object): Promise<Timing> {
  const call = event
    ? `const r = await m.handler(${JSON.stringify(event)}, ${JSON.stringify(LAMBDA_CONTEXT)}); out.firstCallMs = performance.now() - t; const u2 = process.cpuUsage(c); out.firstCallCpuMs = (u2.user + u2.system) / 1000; out.status = r?.statusCode;`
    : '';
  const script = `const c = process.cpuUsage(); const t = performance.now(); const m = await import(${JSON.stringify(pathToFileURL(bundle).href)}); const out = { importMs: performance.now() - t }; const u = process.cpuUsage(c); out.importCpuMs = (u.user + u.system) / 1000; if (typeof m.handler !== 'function') throw new Error('no handler'); ${call} process.stdout.write('\\n' + ${JSON.stringify(RESULT)} + JSON.stringify(out));`;
  const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', ...env }, encoding: 'utf8', timeout: 60_000 });
  // The handler's own log lines (Powertools writes JSON to stdout) come first; the result is the marked last line.
  const line = stdout.split('\n').findLast((l) => l.startsWith(RESULT));
  if (line === undefined) throw new Error(`no result from ${bundle}: ${stdout.slice(-500)}`);
  return JSON.parse(line.slice(RESULT.length)) as Timing;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const LAMBDA_CONTEXT = { functionName: 'bench', functionVersion: '$LATEST', invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:bench', memoryLimitInMB: '512', awsRequestId: 'bench-request', logGroupName: '/aws/lambda/bench', logStreamName: 'bench', callbackWaitsForEmptyEventLoop: true };
const httpEvent = (routeKey: string, path: string, pathParameters?: Record<string, string>): object => ({
  version: '2.0', routeKey, rawPath: path, rawQueryString: '', headers: { host: 'api.example' }, isBase64Encoded: false, ...(pathParameters ? { pathParameters } : {}),
  requestContext: { domainName: 'api.example', http: { method: routeKey.split(' ')[0], path }, routeKey, requestId: 'bench', authorizer: { jwt: { claims: { sub: 'bench-user', tier: 'pro' }, scopes: null } } },
});
/** Functions whose first call the bench makes: no AWS call, a document built on the first call, one DynamoDB GetItem. */
const FIRST_CALLS: Record<string, object> = {
  'HttpApi/Strategies': httpEvent('GET /strategies', '/strategies'),
  'HttpApi/Openapi': httpEvent('GET /openapi.json', '/openapi.json'),
  'HttpApi/GetJob': httpEvent('GET /backtests/{jobId}', '/backtests/bench-job', { jobId: 'bench-job' }),
};

/** The floor bundles (bench/cold-start-floor/build.ts), built and imported as the functions are. */
async function measureFloors(): Promise<{ name: string; sizeKb: number; medianMs: number; bestMs: number; cpuMedianMs: number }[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cold-start-floor-'));
  try {
    const rows = [];
    for (const { name, entry } of FLOORS) {
      const outfile = join(dir, entry.replace(/\.ts$/, '.mjs'));
      await buildFloor(entry, outfile);
      const timings: Timing[] = [];
      for (let i = 0; i < runs; i++) timings.push(await coldStart(outfile, { AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench' }));
      const wall = timings.map((t) => t.importMs);
      rows.push({ name, sizeKb: statSync(outfile).size / 1024, medianMs: median(wall), bestMs: Math.min(...wall), cpuMedianMs: median(timings.map((t) => t.importCpuMs)) });
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`cold-start bench: node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'}, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log('Synthesizing with esbuild bundling (as cdk deploy)...');
const synth = synthBacktestApp({ bundle: true });
// Stands in for every AWS endpoint of the first calls: `{}` is DynamoDB's answer for a key with no item.
const stub = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.0' }).end('{}'));
});
await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
const stubEnv = { AWS_ENDPOINT_URL: `http://127.0.0.1:${(stub.address() as AddressInfo).port}`, AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', AWS_SESSION_TOKEN: 'bench' };
try {
  const functions = [synth.service, synth.stateful]
    .flatMap((t) => Object.values(resources(t, 'AWS::Lambda::Function')))
    .filter((fn) => !cdkPath(fn).includes('/Custom::'));
  const seen = new Map<string, { names: string[]; fn: CfnResource; bundle: string }>();
  for (const fn of functions) {
    const hash = /([0-9a-f]{64})\.zip/.exec(JSON.stringify((fn.Properties?.Code as { S3Key: unknown }).S3Key))?.[1];
    if (hash === undefined) continue;
    // BacktestService/HttpApi/Strategies/Function/Resource -> HttpApi/Strategies
    const parts = cdkPath(fn).split('/');
    const at = parts.lastIndexOf('Function');
    const name = at > 1 ? parts.slice(1, at).join('/') : cdkPath(fn);
    const entry = seen.get(hash) ?? { names: [], fn, bundle: join(synth.outdir, `asset.${hash}`, 'index.mjs') };
    entry.names.push(name);
    seen.set(hash, entry);
  }
  const rows: { functions: string; sizeKb: number; medianMs: number; bestMs: number; cpuMedianMs: number }[] = [];
  const firstCalls: { function: string; importMs: number; firstCallMs: number; importCpuMs: number; firstCallCpuMs: number; status: number | undefined }[] = [];
  for (const { names, fn, bundle } of seen.values()) {
    const timings: Timing[] = [];
    for (let i = 0; i < runs; i++) timings.push(await coldStart(bundle, placeholderEnv(fn)));
    const wall = timings.map((t) => t.importMs);
    rows.push({ functions: names.join(', '), sizeKb: statSync(bundle).size / 1024, medianMs: median(wall), bestMs: Math.min(...wall), cpuMedianMs: median(timings.map((t) => t.importCpuMs)) });
    for (const name of names.filter((n) => FIRST_CALLS[n])) {
      const calls: Timing[] = [];
      for (let i = 0; i < runs; i++) calls.push(await coldStart(bundle, { ...placeholderEnv(fn), ...stubEnv }, FIRST_CALLS[name]));
      firstCalls.push({
        function: name,
        importMs: median(calls.map((t) => t.importMs)),
        firstCallMs: median(calls.map((t) => t.firstCallMs!)),
        importCpuMs: median(calls.map((t) => t.importCpuMs)),
        firstCallCpuMs: median(calls.map((t) => t.firstCallCpuMs!)),
        status: calls[0].status,
      });
    }
  }
  rows.sort((a, b) => b.medianMs - a.medianMs);
  console.log(
    `\n${table(
      ['function(s)', 'bundle KB', 'import median ms', 'best ms', 'CPU median ms', `< ${GOAL_MS} ms`],
      rows.map((r) => [r.functions, r.sizeKb.toFixed(0), r.medianMs.toFixed(1), r.bestMs.toFixed(1), r.cpuMedianMs.toFixed(1), r.medianMs < GOAL_MS ? 'yes' : 'NO']),
    )}`,
  );
  const over = rows.filter((r) => r.medianMs >= GOAL_MS).length;
  console.log(`\n${rows.length} bundles, ${over} at or over ${GOAL_MS} ms (median of ${runs} fresh processes each; load ${loadavg()[0].toFixed(1)} at the end).`);
  console.log(
    `\nImport + first handler call (median of ${runs} fresh processes; AWS calls answered by a local stub):\n${table(
      ['function', 'import ms', 'import + first call ms', 'import CPU ms', 'import + first call CPU ms', 'status'],
      firstCalls.map((c) => [c.function, c.importMs.toFixed(1), c.firstCallMs.toFixed(1), c.importCpuMs.toFixed(1), c.firstCallCpuMs.toFixed(1), String(c.status)]),
    )}`,
  );
  const floors = await measureFloors();
  console.log(
    `\nThe AWS SDK alone (bench/cold-start-floor/: bundles that only construct the clients, same esbuild settings; median of ${runs}):\n${table(
      ['bundle', 'bundle KB', 'import median ms', 'best ms', 'CPU median ms', `< ${GOAL_MS} ms`],
      floors.map((r) => [r.name, r.sizeKb.toFixed(0), r.medianMs.toFixed(1), r.bestMs.toFixed(1), r.cpuMedianMs.toFixed(1), r.medianMs < GOAL_MS ? 'yes' : 'NO']),
    )}`,
  );
  if (values.json) writeFileSync(values.json, `${JSON.stringify({ node: process.version, loadAverage: loadavg()[0], runs, goalMs: GOAL_MS, bundles: rows, firstCalls, sdkFloors: floors }, null, 1)}\n`);
} finally {
  stub.close();
  rmSync(synth.outdir, { recursive: true, force: true });
}
