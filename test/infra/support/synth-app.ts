import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { addBacktestStacks, type BacktestStacks } from '../../../lib/backtest-app.ts';
import { HANDLER_ENTRIES, REPO_ROOT } from '../../../lib/handler-entries.ts';
import { tempDir } from '../../support/temp-dir.ts';

export interface ValidationViolation {
  ruleName: string;
  severity: string;
  violatingConstructs: { constructPath: string }[];
}
export interface ValidationReport {
  pluginReports: { pluginName: string; conclusion: string; violations: ValidationViolation[] }[];
}

export interface SynthResult {
  readonly stacks: BacktestStacks;
  readonly stateful: Template;
  readonly service: Template;
  /** The us-east-1 WAF stack, present only when the service deploys to another region without `webAclArn`. */
  readonly edge: Template | undefined;
  readonly report: ValidationReport;
  /** The cloud assembly directory (templates, assets, validation-report.json). */
  readonly outdir: string;
}

export interface SynthOptions {
  /** CDK context on top of cdk.json's, as `-c key=value` would give it. */
  readonly context?: Record<string, unknown>;
  /** Run esbuild for every function (slow); otherwise assets are staged without bundling. @default false */
  readonly bundle?: boolean;
  /** Adds constructs after the stacks are built and before synthesis (used to prove cdk-nag is active). */
  readonly extend?: (stacks: BacktestStacks) => void;
  /** Account and region, as the CLI passes them with credentials. @default none (environment-agnostic, as offline) */
  readonly env?: { readonly account?: string; readonly region?: string };
}

/** Handler files docs/wiring.md promises that are not in the checkout. */
export function missingHandlerEntries(): string[] {
  return Object.values(HANDLER_ENTRIES).filter((entry) => !existsSync(entry)).map((entry) => entry.slice(REPO_ROOT.length + 1));
}

/**
 * Synthesizes the app exactly as bin/app.ts builds it (same context as cdk.json, cdk-nag included) into a
 * temporary directory. Throws if cdk-nag reports an unacknowledged error, as `cdk synth` would.
 */
export function synthBacktestApp(options: SynthOptions = {}): SynthResult {
  const missing = missingHandlerEntries();
  if (missing.length > 0) {
    throw new Error(`Handler entry files listed in docs/wiring.md are missing: ${missing.join(', ')}`);
  }
  if (options.bundle) mkdirSync(join(REPO_ROOT, 'cdk.out'), { recursive: true });
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const app = new App({
    // Bundles stay inside the repo (cdk.out/ is git-ignored) so they resolve @aws-sdk/* from node_modules, as
    // they resolve it from the Lambda runtime once deployed.
    outdir: options.bundle ? tempDir('test-', join(REPO_ROOT, 'cdk.out')) : tempDir('backtest-cdk-'),
    context: {
      ...cdkJson.context,
      // The CLI sets this; the queries find resources by the construct path it records.
      'aws:cdk:enable-path-metadata': true,
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...options.context,
    },
  });
  // Explicitly none by default: a developer's CDK_DEFAULT_REGION must not change what the tests synthesize.
  const stacks = addBacktestStacks(app, { env: options.env ?? {} });
  options.extend?.(stacks);
  const assembly = app.synth();
  const template = (name: string): Template => Template.fromJSON(assembly.getStackByName(name).template as Record<string, unknown>);
  const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as ValidationReport;
  return {
    stacks,
    stateful: template(stacks.stateful.stackName),
    service: template(stacks.service.stackName),
    edge: stacks.edge ? template(stacks.edge.stackName) : undefined,
    report,
    outdir: assembly.directory,
  };
}
