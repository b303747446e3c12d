import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../lib/handler-entries.ts';
import { tempDir } from '../support/temp-dir.ts';

// The gate in test/support/shared-data.ts, run for real: vitest in a child process on a test file that needs the
// shared data, pointed at an empty folder. Under CI=true the run must fail and say what is missing; without CI it
// passes with the real-data test skipped and a warning.
function runCsvTests(env: Record<string, string>) {
  return spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', 'test/engine/csv.test.ts', '--reporter=verbose'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    // The child is a fresh vitest run: none of this worker's VITEST_* state.
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST'))), ...env },
  });
}

describe('tests that need ../shared/data', () => {
  it('fail under CI=true when the data is missing, naming the folder and the files, and skip loudly otherwise', { timeout: 90_000 }, () => {
    const empty = join(tempDir('no-shared-data-'), 'data');

    const ci = runCsvTests({ CI: 'true', SHARED_DATA_DIR: empty });
    const laptop = runCsvTests({ CI: '', SHARED_DATA_DIR: empty });

    const ciOutput = ci.stdout + ci.stderr;
    expect(ci.status, ciOutput).toBe(1);
    expect(ciOutput).toContain(`ORCL-1d.csv, NVDA-1d.csv, YHOO-1d.csv, GOOG-1d.csv, EURUSD-1h.csv, STOXX50E-2006-1d.csv in ${empty}`);
    expect(ciOutput).toContain('CI=true requires it');
    const laptopOutput = laptop.stdout + laptop.stderr;
    expect(laptop.status, laptopOutput).toBe(0);
    expect(laptopOutput).toMatch(/SKIPPED "parses every file in \.\.\/shared\/data" needs ORCL-1d\.csv/);
    expect(laptopOutput).toMatch(/1 skipped/);
  });
});
