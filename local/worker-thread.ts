import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { lambdaContext, type LambdaHandler } from './lambda-runtime.ts';

/**
 * One worker thread of the local Lambda runtime: loads the handler module once (the cold start, with this
 * thread's own `process.env`) and runs invocations posted by local/worker-pool.ts.
 */
interface ThreadData {
  entry: string;
  functionName: string;
  timeoutMs: number;
  /** Nice value for this thread (Linux only), see lowerThreadPriority. */
  nice: number;
}

export interface InvokeRequest {
  id: number;
  event: unknown;
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

const module = (await import(pathToFileURL(data.entry).href)) as { handler?: LambdaHandler };
const handler = module.handler;
if (typeof handler !== 'function') throw new Error(`${data.entry} does not export a handler function`);

port.on('message', (request: InvokeRequest) => {
  handler(request.event, lambdaContext(data.functionName, data.timeoutMs)).then(
    (result) => port.postMessage({ id: request.id, ok: true, result: result ?? null } satisfies InvokeReply),
    (error: unknown) => {
      const e = error instanceof Error ? error : new Error(String(error));
      port.postMessage({ id: request.id, ok: false, error: { name: e.name, message: e.message, stack: e.stack } } satisfies InvokeReply);
    },
  );
});
port.postMessage({ ready: true });
