import { parseArgs } from 'node:util';
import { join, relative } from 'node:path';
import { startLocalStack, REPO_ROOT, type LocalStack } from './stack.ts';
import { readLocalConfig } from './config.ts';
import { consoleLogger } from './http-util.ts';
import { removeStackFile, stackFileOf, writeStackFile } from './stack-file.ts';
import { TIERS } from '../lambdas/core/tiers.ts';

/**
 * `npm start [-- --persist]`: the whole service on this machine until Ctrl-C. Emulators are children of this
 * process (DynamoDB Local under a watchdog), so they stop with it, also when it crashes.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { persist: { type: 'boolean', default: false } }, strict: true });
  const config = readLocalConfig();
  const persistDir = values.persist ? join(REPO_ROOT, '.local') : undefined;
  const startedAt = Date.now();
  console.log(`Starting the local stack${persistDir ? ` (data kept in ${relative(process.cwd(), persistDir) || '.'}/dynamodb)` : ' (in memory; --persist keeps data)'}...`);

  const stack = await startLocalStack({
    httpPort: config.HTTP_PORT,
    wsPort: config.WS_PORT,
    persistDir,
    dataDir: config.DATA_DIR,
    workerThreads: config.LOCAL_WORKER_THREADS,
    concurrency: config.LOCAL_CONCURRENCY,
    ...(config.LOCAL_WORKER_NICE !== undefined ? { workerNice: config.LOCAL_WORKER_NICE } : {}),
    extraEnv: config.LOG_LEVEL ? { LOG_LEVEL: config.LOG_LEVEL } : {},
    web: true,
    log: consoleLogger,
  });
  installShutdown(stack);
  writeStackFile(stackFileOf(stack));
  printReady(stack, Date.now() - startedAt);
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
  const tiers = TIERS.map((t) => `${t} ${stack.tiers[t].maxConcurrency} (${stack.workerThreads[t]} thread${stack.workerThreads[t] > 1 ? 's' : ''})`).join(', ');
  const body = JSON.stringify({ strategyId: 'sma-cross', params: { fast: { from: 5, to: 20, step: 5 }, slow: { from: 30, to: 60, step: 10 } }, symbol: 'SYNTH-DEMO', timeframe: '1d', startDate: '2010-01-01', endDate: '2020-12-31' });
  const requeued = TIERS.reduce((n, t) => n + stack.requeued[t].length, 0);
  console.log(`
Backtest service ready in ${(ms / 1000).toFixed(1)} s
  HTTP API    ${stack.httpUrl}            JWKS ${stack.jwksUrl}
  WebSocket   ${stack.wsUrl}/?token=<JWT>
  Market data SYNTH-* built in; CSV files from ${relative(process.cwd(), stack.env.DATA_DIR) || '.'}/<SYMBOL>-<timeframe>.csv
  Concurrency ${tiers}
  DynamoDB    ${stack.dynamodbEndpoint}   SQS ${stack.sqsEndpoint}${requeued > 0 ? `\n  Requeued    ${requeued} job(s) left queued or running by the last run` : ''}

Try it (another terminal):
  TOKEN=$(npm run -s token -- --user alice --tier pro)
  curl -s -X POST ${stack.httpUrl}/backtests -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
    -d '${body}'
  curl -s ${stack.httpUrl}/backtests -H "authorization: Bearer $TOKEN"
  # live progress (replace JOB_ID):
  npx node -e "const ws=new (require('ws'))('${stack.wsUrl}/?token='+process.env.TOKEN);ws.on('open',()=>ws.send(JSON.stringify({action:'subscribe',jobId:process.argv[1]})));ws.on('message',m=>console.log(String(m)))" JOB_ID
  npm run demo        # one job per tier with live progress bars

Ctrl-C stops everything.`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exit(1);
});
