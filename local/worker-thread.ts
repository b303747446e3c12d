import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { lambdaContext, type LambdaHandler } from './lambda-runtime.ts';
import type { InvokeRequest } from './worker-pool.ts';

/**
 * One worker thread of the local Lambda runtime: loads the handler module once per function (the cold start, each
 * with that function's own environment) and runs invocations posted by local/worker-pool.ts.
 */
interface ThreadData {
  entry: string;
  /** The functions this thread runs, each with its environment (TIER, FAULT_SEED differ between them). */
  functions: { name: string; env: Record<string, string> }[];
  timeoutMs: number;
  /** Nice value for this thread (Linux only), see lowerThreadPriority. */
  nice: number;
}

export type InvokeReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { name: string; message: string; stack?: string } };

const data = workerData as ThreadData;
const port = parentPort;
if (port === null) throw new Error('worker-thread.ts must run in a worker thread');

lowerThreadPriority(data.nice);

/**
 * On AWS a worker Lambda never shares a CPU with API Gateway, the stream mapping or DynamoDB. Here they all share
 * two cores, and busy backtests would starve the gateways, the stream poller and DynamoDB Local, so progress would
 * reach clients seconds late under load. Linux keeps a nice value per thread (setpriority on the calling thread,
 * which is what os.setPriority(n) does from a worker thread), so only the worker threads are lowered. Elsewhere
 * (macOS) the value is per process and would lower the gateways too, so nothing is changed there.
 */
function lowerThreadPriority(nice: number): void {
  if (process.platform !== 'linux' || nice === 0) return;
  try {
    setPriority(nice);
  } catch {
    // Not permitted (some containers): run at normal priority.
  }
}

/**
 * Each function gets its own instance of the entry module: imported under its own URL (`?fn=<name>`, so the module
 * cache does not hand back the previous one) while process.env is that function's environment, because handlers
 * read their configuration (TIER, FAULT_SEED, table names) once, at their cold start. Modules the entry imports are
 * shared; they take their environment as a parameter. One at a time, so no import sees another's environment.
 */
const handlers = new Map<string, LambdaHandler>();
for (const fn of data.functions) {
  for (const key of Object.keys(process.env)) if (!(key in fn.env)) delete process.env[key];
  Object.assign(process.env, fn.env);
  const url = new URL(pathToFileURL(data.entry).href);
  url.searchParams.set('fn', fn.name);
  const module = (await import(url.href)) as { handler?: LambdaHandler };
  if (typeof module.handler !== 'function') throw new Error(`${data.entry} does not export a handler function`);
  handlers.set(fn.name, module.handler);
}

port.on('message', (request: InvokeRequest) => {
  const handler = handlers.get(request.fn);
  if (handler === undefined) {
    port.postMessage({ id: request.id, ok: false, error: { name: 'Runtime.HandlerNotFound', message: `no function ${request.fn} in this thread` } } satisfies InvokeReply);
    return;
  }
  handler(request.event, lambdaContext(request.fn, data.timeoutMs)).then(
    (result) => port.postMessage({ id: request.id, ok: true, result: result ?? null } satisfies InvokeReply),
    (error: unknown) => {
      const e = error instanceof Error ? error : new Error(String(error));
      port.postMessage({ id: request.id, ok: false, error: { name: e.name, message: e.message, stack: e.stack } } satisfies InvokeReply);
    },
  );
});
port.postMessage({ ready: true });
