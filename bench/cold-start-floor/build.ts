import { join } from 'node:path';
import { build } from 'esbuild';
import { LAMBDA_ESBUILD } from '../../lib/constructs/backtest-function.ts';
import { REPO_ROOT } from '../../lib/handler-entries.ts';

/**
 * The floor under the functions' cold starts: bundles that only construct the AWS SDK clients a function needs, and
 * nothing of the function itself. What a function's own code adds to its import time is its time minus its floor.
 */
export const FLOORS = [
  { name: 'DynamoDB client only', entry: 'dynamodb.ts' },
  { name: 'DynamoDB + SQS clients', entry: 'dynamodb-sqs.ts' },
  { name: 'DynamoDB + SQS + S3 clients', entry: 'dynamodb-sqs-s3.ts' },
] as const;

/** Bundles one floor entry (a file name in this folder) to `outfile` with the functions' esbuild settings (minified ESM). */
export async function buildFloor(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [join(import.meta.dirname, entry)],
    outfile,
    absWorkingDir: REPO_ROOT, // the aliases are relative to the project root, as in CDK's bundling
    bundle: true,
    platform: 'node',
    format: 'esm',
    minify: true,
    target: LAMBDA_ESBUILD.target,
    mainFields: [...LAMBDA_ESBUILD.mainFields],
    banner: { js: LAMBDA_ESBUILD.banner },
    alias: { ...LAMBDA_ESBUILD.alias },
    logLevel: 'warning',
  });
}
