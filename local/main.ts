import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { startLocalStack, REPO_ROOT, type LocalStack } from './stack.ts';
import { readLocalConfig } from './config.ts';
import { consoleLogger } from './http-util.ts';
import { readStackFile, removeStackFile, stackFileOf, writeStackFile, type StackFile } from './stack-file.ts';
import { defaultDataDir } from './data-dir.ts';
import { portConflict } from './port-in-use.ts';
import { TIERS } from '../lambdas/core/tiers.ts';

/**
 * `npm start [-- --persist]`: the whole service on this machine until Ctrl-C. Emulators are children of this
 * process (DynamoDB Local under a watchdog), so they stop with it, also when it crashes.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { persist: { type: 'boolean', default: false } }, strict: true });
  const config = readLocalConfig();
  const conflict = await portConflict({ host: '127.0.0.1', httpPort: config.HTTP_PORT, wsPort: config.WS_PORT, running: runningStack() });
  if (conflict !== undefined) {
    console.error(conflict);
    process.exit(1);
  }
  const persistDir = values.persist ? join(REPO_ROOT, '.local') : undefined;
  const startedAt = Date.now();
  console.log(`Starting the local stack${persistDir ? ` (data kept in ${relative(process.cwd(), persistDir) || '.'}/dynamodb)` : ' (in memory; --persist keeps data)'}...`);

  const stack = await startLocalStack({
    httpPort: config.HTTP_PORT,
    wsPort: config.WS_PORT,
    persistDir,
    dataDir: defaultDataDir(),
    workerThreads: config.LOCAL_WORKER_THREADS,
    concurrency: config.LOCAL_CONCURRENCY,
    invocationsPerThread: config.LOCAL_INVOCATIONS_PER_THREAD,
    ...(config.LOCAL_WORKER_NICE !== undefined ? { workerNice: config.LOCAL_WORKER_NICE } : {}),
    extraEnv: config.LOG_LEVEL ? { LOG_LEVEL: config.LOG_LEVEL } : {},
    web: true,
    log: consoleLogger,
  });
  installShutdown(stack);
  writeStackFile(stackFileOf(stack));
  printReady(stack, Date.now() - startedAt);
}

/** The stack file of a running `npm start`; an unreadable one is treated as no stack (this start rewrites it). */
function runningStack(): StackFile | undefined {
  try {
    return readStackFile();
  } catch {
    return undefined;
  }
}

function installShutdown(stack: LocalStack): void {
  let stopping = false;
  const shutdown = (reason: string, code: number): void => {
    if (stopping) {
      // A second Ctrl-C while stopping: give up waiting. The Java watchdog still takes DynamoDB Local down.
      process.exit(code);
    }
    stopping = true;
    console.log(`\n${reason}: stopping...`);
    removeStackFile();
    const force = setTimeout(() => process.exit(code), 10_000);
    force.unref();
    stack.stop().then(
      () => process.exit(code),
      (error: unknown) => {
        console.error('stop failed', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('Ctrl-C', 0));
  process.on('SIGTERM', () => shutdown('SIGTERM', 0));
  process.on('SIGHUP', () => shutdown('SIGHUP', 0));
  process.on('uncaughtException', (error) => {
    console.error('crash:', error);
    shutdown('crash', 1);
  });
  process.on('unhandledRejection', (error) => {
    console.error('crash (unhandled rejection):', error);
    shutdown('crash', 1);
  });
}

function printReady(stack: LocalStack, ms: number): void {
  const threads = stack.workerThreads;
  const plural = (n: number): string => `${n} thread${n === 1 ? '' : 's'}`;
  const tiers =
    typeof threads === 'number'
      ? `free ${stack.tiers.free.maxConcurrency}, basic ${stack.tiers.basic.maxConcurrency}, pro ${stack.tiers.pro.maxConcurrency} on ${plural(threads)} shared (${stack.workerSlots === Number.POSITIVE_INFINITY ? 'no cap' : `${stack.workerSlots} at once`}, pro first)`
      : TIERS.map((t) => `${t} ${stack.tiers[t].maxConcurrency} (${plural(threads[t])})`).join(', ');
  // The example runs on real prices when the data folder has them (examples/data on a fresh clone), else synthetic.
  const symbol = existsSync(join(stack.env.DATA_DIR, 'ORCL-1d.csv')) ? 'ORCL --start 2004-01-01 --end 2013-12-31' : 'SYNTH-DEMO --start 2010-01-01 --end 2020-12-31';
  const requeued = TIERS.reduce((n, t) => n + stack.requeued[t].length, 0);
  console.log(`
Backtest service ready in ${(ms / 1000).toFixed(1)} s
  Web app     ${stack.httpUrl}/            sign in: npm run -s token -- --user alice --tier pro --link
  HTTP API    ${stack.httpUrl}            JWKS ${stack.jwksUrl}
  WebSocket   ${stack.wsUrl}/?token=<JWT>
  Market data SYNTH-* built in; CSV files from ${relative(process.cwd(), stack.env.DATA_DIR) || '.'}/<SYMBOL>-<timeframe>.csv
  Concurrency ${tiers}
  DynamoDB    ${stack.dynamodbEndpoint}   SQS ${stack.sqsEndpoint}${requeued > 0 ? `\n  Requeued    ${requeued} job(s) left queued or running by the last run` : ''}

Try it (another terminal; npx backtest finds this stack and signs a local token, --tier pro for more):
  npx backtest submit --strategy sma-cross --param fast=5:20:5 --param slow=30:60:10 --symbol ${symbol} --watch
  npx backtest list                 # your jobs; npx backtest watch JOB_ID follows one live
  npx backtest admin queues --watch # the operator's view of the three queues
  npm run demo        # one job per tier with live progress bars

Ctrl-C stops everything.`);
}

main().catch((error: unknown) => {
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    // Taken between the check at start and the listen (another start racing this one).
    console.error(`${(error as Error).message}: another program took the port; choose other ports with HTTP_PORT and WS_PORT`);
  } else {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  }
  process.exit(1);
});
