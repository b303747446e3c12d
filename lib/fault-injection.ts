import { Annotations, type Stack } from 'aws-cdk-lib';
import type { AppConfig, FaultVariable } from './app-config.ts';
import type { BacktestFunction } from './constructs/backtest-function.ts';

/** Which port a fault decorates (lambdas/handlers/shared/dependencies.ts), and so which functions read it. */
export type FaultTarget = 'worker' | 'clientPush' | 'jobSend';

/**
 * Each FAULT_* variable goes only to the functions whose handler wraps the port it breaks (docs/faults.md), so a
 * worker crash setting never shows up in, say, the submit function. FAULT_SEED goes wherever any fault goes.
 */
export const FAULT_TARGETS: Readonly<Record<FaultVariable, readonly FaultTarget[]>> = {
  FAULT_WORKER_CRASH_RATE: ['worker'],
  FAULT_WORKER_CRASH_SYMBOLS: ['worker'],
  FAULT_POST_GONE_RATE: ['clientPush'],
  FAULT_SQS_SEND_FAIL_RATE: ['jobSend'],
  FAULT_SEED: ['worker', 'clientPush', 'jobSend'],
};

/**
 * Sets the `faults` context's variables on the functions they affect and puts a warning on the stack, which
 * `cdk synth` and `cdk deploy` print whether or not cdk-nag runs. Without `faults` it does nothing: a real
 * deployment never carries a FAULT_* variable by accident.
 */
export function applyFaultInjection(stack: Stack, faults: AppConfig['faults'], functions: Readonly<Record<FaultTarget, readonly BacktestFunction[]>>): void {
  const set = Object.entries(faults) as [FaultVariable, string][];
  if (set.length === 0) return;
  const touched = new Set<BacktestFunction>();
  for (const [name, value] of set) {
    for (const target of FAULT_TARGETS[name]) {
      for (const fn of functions[target]) {
        fn.setEnv(name, value);
        touched.add(fn);
      }
    }
  }
  const settings = set.map(([name, value]) => `${name}=${value}`).join(', ');
  Annotations.of(stack).addWarning(
    `FAULT INJECTION IS ON (context "faults": ${settings}) in ${touched.size} functions: they fail on purpose. Never deploy this to serve real users.`,
  );
}
