import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Temporary folders that tests make (synthesized CDK apps, key folders, CSV folders, stack files). Each one is removed
 * when its test file ends (test/support/temp-dir-cleanup.ts is a vitest setup file), so a run leaves nothing behind in
 * /tmp or cdk.out however many files make them.
 */
const made = new Set<string>();

/** A fresh folder `<parent>/<prefix>XXXXXX`, removed when the current test file ends. @default parent os.tmpdir() */
export function tempDir(prefix: string, parent: string = tmpdir()): string {
  const dir = mkdtempSync(join(parent, prefix));
  made.add(dir);
  return dir;
}

/** Removes every folder `tempDir` made in this process so far. */
export function removeTempDirs(): void {
  for (const dir of made) {
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    made.delete(dir);
  }
}

/** How many folders are waiting for removal (for the cleanup's own test). */
export function pendingTempDirs(): number {
  return made.size;
}
