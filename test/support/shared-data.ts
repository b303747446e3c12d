import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it, type TestOptions } from 'vitest';

/**
 * Real market data lives next to the repo (../shared/data, DESIGN "Real data for tests"), never inside it, so a
 * user's clone has none. The tests that need it are the only ones that trade the non-SMA strategies on real prices
 * and the only contract run of the CSV-folder market data, so they must never vanish quietly:
 * - data present: they run;
 * - data absent on a laptop: they are skipped, with a warning naming the folder and the files;
 * - data absent under CI=true: one failing test per group says what is missing, and the run fails.
 * SHARED_DATA_DIR points the tests at another copy of the folder (and lets the gate itself be tested).
 */
export const SHARED_DATA_DIR = process.env.SHARED_DATA_DIR
  ? resolve(process.env.SHARED_DATA_DIR)
  : resolve(import.meta.dirname, '../../../shared/data');

/** The full path of a file in the shared data folder. */
export const sharedDataFile = (file: string): string => join(SHARED_DATA_DIR, file);

/** The listed files that are not in the shared data folder. */
export function missingSharedData(files: readonly string[]): string[] {
  return files.filter((f) => !existsSync(sharedDataFile(f)));
}

/** CI=true (or 1): a missing data folder fails the run. */
export function sharedDataRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI === 'true' || env.CI === '1';
}

function explain(title: string, missing: string[]): string {
  return `"${title}" needs ${missing.join(', ')} in ${SHARED_DATA_DIR}, which ${missing.length === 1 ? 'is' : 'are'} missing`;
}

/** `describe` for a group that needs `files`: runs, skips with a warning, or (CI=true) fails, as above. */
export function describeWithSharedData(title: string, files: readonly string[], body: () => void): void {
  const missing = missingSharedData(files);
  if (missing.length === 0) return void describe(title, body);
  if (sharedDataRequired()) {
    return void describe(title, () => {
      it('has the real market data it needs', () => {
        throw new Error(`${explain(title, missing)}; CI=true requires it (see ../shared/README.md)`);
      });
    });
  }
  console.warn(`[shared data] SKIPPED ${explain(title, missing)} (under CI=true this fails)`);
  describe.skip(title, body);
}

/** `it` for one test that needs `files`: runs, skips with a warning, or (CI=true) fails. */
export function itWithSharedData(title: string, files: readonly string[], fn: () => unknown, options?: TestOptions): void {
  const missing = missingSharedData(files);
  if (missing.length === 0) return void it(title, options ?? {}, fn);
  if (sharedDataRequired()) {
    return void it(title, () => {
      throw new Error(`${explain(title, missing)}; CI=true requires it (see ../shared/README.md)`);
    });
  }
  console.warn(`[shared data] SKIPPED ${explain(title, missing)} (under CI=true this fails)`);
  it.skip(title, fn);
}
