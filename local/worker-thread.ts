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
