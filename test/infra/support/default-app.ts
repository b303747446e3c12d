import { synthBacktestApp, type SynthResult } from './synth-app.ts';

let cached: SynthResult | undefined;

/**
 * The app with cdk.json's context only (what a plain `cdk deploy` builds), synthesized once per test process.
 * Synthesis is most of an infra test's cost, so every spec of the default app reads this one result instead of
 * building its own; specs that need other context synthesize separately.
 */
export function defaultApp(): SynthResult {
  cached ??= synthBacktestApp();
  return cached;
}
