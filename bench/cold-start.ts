import { execFile } from 'node:child_process';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { synthBacktestApp } from '../test/infra/support/synth-app.ts';
import { cdkPath, placeholderEnv, resources, type CfnResource } from '../test/infra/support/template-queries.ts';
import { table } from './load-stats.ts';

/**
 * `npm run bench:cold-start [-- --runs 5 --json FILE]`: how long each deployed function's bundle takes to import, the
 * part of a Lambda cold start (INIT) the code controls. Synthesizes the app with esbuild bundling exactly as
 * `cdk deploy` does (minified ESM, @aws-sdk/* left to the runtime and resolved from node_modules here), then imports
 * each bundle in a fresh Node process with the environment the stack gives the function, `--runs` times, and reports
 * the median. Goal (issue 12): every bundle under 40 ms on this machine.
 */
const execFileAsync = promisify(execFile);
const GOAL_MS = 40;

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, json: { type: 'string' } }, strict: true });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1 || runs > 50) {
  console.error(`--runs must be a whole number from 1 to 50, got ${values.runs}`);
  process.exit(2);
}

async function importMs(bundle: string, env: Record<string, string>): Promise<number> {
  const script = `const t = performance.now(); const m = await import(${JSON.stringify(pathToFileURL(bundle).href)}); const ms = performance.now() - t; if (typeof m.handler !== 'function') throw new Error('no handler'); process.stdout.write(String(ms));`;
  const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', ...env }, encoding: 'utf8', timeout: 60_000 });
  return Number(stdout);
}

console.log(`cold-start bench: node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'}, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log('Synthesizing with esbuild bundling (as cdk deploy)...');
const synth = synthBacktestApp({ bundle: true });
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
  const rows: { functions: string; sizeKb: number; medianMs: number; bestMs: number }[] = [];
  for (const { names, fn, bundle } of seen.values()) {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push(await importMs(bundle, placeholderEnv(fn)));
    times.sort((a, b) => a - b);
    rows.push({ functions: names.join(', '), sizeKb: statSync(bundle).size / 1024, medianMs: times[Math.floor(times.length / 2)], bestMs: times[0] });
  }
  rows.sort((a, b) => b.medianMs - a.medianMs);
  console.log(
    `\n${table(
      ['function(s)', 'bundle KB', 'import median ms', 'best ms', `< ${GOAL_MS} ms`],
      rows.map((r) => [r.functions, r.sizeKb.toFixed(0), r.medianMs.toFixed(1), r.bestMs.toFixed(1), r.medianMs < GOAL_MS ? 'yes' : 'NO']),
    )}`,
  );
  const over = rows.filter((r) => r.medianMs >= GOAL_MS).length;
  console.log(`\n${rows.length} bundles, ${over} at or over ${GOAL_MS} ms (median of ${runs} fresh processes each; load ${loadavg()[0].toFixed(1)} at the end).`);
  if (values.json) writeFileSync(values.json, `${JSON.stringify({ node: process.version, loadAverage: loadavg()[0], runs, goalMs: GOAL_MS, bundles: rows }, null, 1)}\n`);
} finally {
  rmSync(synth.outdir, { recursive: true, force: true });
}
