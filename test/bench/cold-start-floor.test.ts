import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFloor, FLOORS } from '../../bench/cold-start-floor/build.ts';

/**
 * `npm run bench:cold-start` reports the AWS SDK's own import time beside the functions' (the floor). The floor is only
 * comparable if its bundles are built as the functions' are: the same credential alias, the SDK bundled in, and a
 * handler that the same import finds.
 */
describe('cold-start floor bundles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'floor-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(FLOORS)('$name: builds with the functions\' esbuild settings and imports to a handler', async ({ entry }) => {
    const outfile = join(dir, entry.replace(/\.ts$/, '.mjs'));
    await buildFloor(entry, outfile);

    const code = readFileSync(outfile, 'utf8');
    // The environment-only credential provider the functions get (lib/bundling/lambda-credentials.ts), not the chain.
    expect(code).toContain('reads credentials only from the environment');
    expect(code).not.toMatch(/@aws-sdk\/client-sso|credential-provider-ini/);
    // The SDK is in the bundle, not imported from node_modules at run time.
    expect(code).not.toMatch(/from\s*["']@aws-sdk\//);
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(pathToFileURL(outfile).href)}); process.stdout.write(typeof m.handler);`], {
      env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1' },
      encoding: 'utf8',
    });
    expect(out).toBe('function');
  }, 60_000);
});
