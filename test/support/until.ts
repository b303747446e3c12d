/**
 * Waiting on events in tests, shared by test/e2e, test/property and test/contract: poll a condition until it holds or
 * a generous deadline passes. The deadline is a safety net for a hung run, never the behaviour under test, so it is
 * long enough for a loaded 2-core machine; a test that needs a fact waits for that fact, not for a fixed time.
 */

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves once `check()` is true; rejects naming `what` when `timeoutMs` passes first. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what} not met in ${timeoutMs} ms`);
    await sleep(25);
  }
}
