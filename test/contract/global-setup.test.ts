import { describe, expect, it } from 'vitest';
import { runNeedsEmulators } from '../support/global-setup.ts';

describe('global setup: when a run needs the emulators', () => {
  it.each([
    [[], true],
    [['run'], true],
    [['run', 'test/engine'], false],
    [['run', 'test/engine', '--reporter', 'verbose'], false],
    [['run', './test/infra', 'test/core'], false],
    [['run', 'test/engine', 'test/contract'], true],
    [['run', 'job-repository'], true],
    [['run', 'stack'], true],
    [['run', '--reporter', 'verbose'], true],
    [['run', 'no-such-test-file'], true],
  ])('%j -> %s', (args, expected) => {
    expect(runNeedsEmulators(args as string[])).toBe(expected);
  });
});
