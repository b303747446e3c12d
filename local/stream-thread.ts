import { Worker } from 'node:worker_threads';
import type { Logger } from './http-util.ts';
import type { StreamWorkerData, StreamWorkerMessage } from './stream-worker.ts';

export interface StreamThreadOptions extends Omit<StreamWorkerData, 'paused'> {
  /** The handlers' environment (the thread's process.env). */
  env: Record<string, string>;
  log: Logger;
}

/** The Jobs stream's mappings running in their own thread (local/stream-worker.ts). */
export interface StreamThread {
  /** Test hook: the progress mapping stops reading from the moment this returns (see StreamPoller.pause). */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

/** How long a stopping thread may take to finish the batch it is delivering before it is terminated. */
const STOP_GRACE_MS = 5_000;

/** Starts the thread; resolves once both mappings read the stream (writes from then on are delivered). */
export function startStreamThread(options: StreamThreadOptions): Promise<StreamThread> {
  const paused = new SharedArrayBuffer(4);
  const flag = new Int32Array(paused);
  const { env, log, ...rest } = options;
  const worker = new Worker(new URL('./stream-worker.ts', import.meta.url), { workerData: { ...rest, paused } satisfies StreamWorkerData, env });
  let stopped: (() => void) | undefined;
  return new Promise((resolve, reject) => {
    let ready = false;
    worker.on('message', (message: StreamWorkerMessage) => {
      if (message.type === 'log') {
        if (message.level === 'error') log.error(`stream thread: ${message.message}`, message.detail);
        else log.info(`stream thread: ${message.message}`);
      } else if (message.type === 'ready') {
        ready = true;
        resolve({
          pause: () => Atomics.store(flag, 0, 1),
          resume: () => Atomics.store(flag, 0, 0),
          stop: async () => {
            const done = new Promise<void>((r) => { stopped = r; });
            worker.postMessage({ type: 'stop' });
            const timer = setTimeout(() => void worker.terminate(), STOP_GRACE_MS);
            await Promise.race([done, new Promise<void>((r) => worker.once('exit', () => r()))]);
            clearTimeout(timer);
            await worker.terminate();
          },
        });
      } else if (message.type === 'failed') {
        reject(new Error(`the stream mappings did not start: ${message.message}`));
        void worker.terminate();
      } else if (message.type === 'stopped') {
        stopped?.();
      }
    });
    worker.on('error', (error) => {
      if (!ready) {
        reject(error);
        return;
      }
      // As if the notifier had thrown on the stack's own thread before: a crash of the stack (npm start stops and says
      // so), never a stack that runs on without pushing progress.
      log.error('stream thread crashed', error);
      setImmediate(() => {
        throw error;
      });
    });
    worker.on('exit', (code) => {
      if (!ready) reject(new Error(`the stream thread exited during start-up (code ${code})`));
    });
  });
}
