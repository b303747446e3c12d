import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HANDLER_ENTRIES, REPO_ROOT } from '../../lib/handler-entries.ts';

describe('handler entry points', () => {
  const wiring = readFileSync(join(REPO_ROOT, 'docs', 'wiring.md'), 'utf8');

  it.each(Object.entries(HANDLER_ENTRIES))('%s is a file the CDK can bundle and docs/wiring.md names', (_name, entry) => {
    // Prepare
    const relative = entry.slice(REPO_ROOT.length + 1);

    // Act
    const exists = existsSync(entry);

    // Assess
    expect(exists, `${relative} is missing`).toBe(true);
    expect(wiring).toContain(`\`${relative}\``);
  });
});
