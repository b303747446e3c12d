import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../lib/handler-entries.ts';
import { tempDir } from '../support/temp-dir.ts';

// The gate in test/support/shared-data.ts, run for real: vitest in a child process on a test file that needs the
// shared data, pointed at an empty folder, under CI=true: the run must fail and say what is missing. (Without CI the
// same call is a describe.skip with a warning; a second child run to show that cost 3-10 s of the suite.)
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
  it('fail under CI=true when the data is missing, naming the folder and the files', { timeout: 90_000 }, () => {
    const empty = join(tempDir('no-shared-data-'), 'data');

    const ci = runCsvTests({ CI: 'true', SHARED_DATA_DIR: empty });

    const output = ci.stdout + ci.stderr;
    expect(ci.status, output).toBe(1);
    expect(output).toContain(`ORCL-1d.csv, NVDA-1d.csv, YHOO-1d.csv, GOOG-1d.csv, EURUSD-1h.csv, STOXX50E-2006-1d.csv in ${empty}`);
    expect(output).toContain('CI=true requires it');
    expect(output).toMatch(/1 failed/);
  });
});
