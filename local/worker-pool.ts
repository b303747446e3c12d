import { Worker } from 'node:worker_threads';
import type { InvokeReply } from './worker-thread.ts';
import type { Logger } from './http-util.ts';

/** One Lambda function the pool's threads run: its name (Lambda context, logs) and its environment. */
export interface WorkerFunction {
  /** e.g. `worker-pro`. */
  name: string;
  /** The function's environment: each thread loads the handler with its own copy, as each Lambda function has its own. */
  env: Record<string, string>;
}

export interface WorkerPoolOptions {
  /** Absolute path of the handler module (exports `handler`). */
  entry: string;
  /**
   * The functions every thread can run: one handler instance each, loaded with that function's environment (the
   * local stack's shared pool runs worker-free, worker-basic and worker-pro on the same threads).
   */
  functions: WorkerFunction[];
  /** Threads to run. CPU-bound work scales with threads only up to the machine's cores. */
  threads: number;
  /** Invocation timeout (the function's timeout). */
  timeoutMs: number;
  /** Nice value of the worker threads on Linux (see worker-thread.ts). @default DEFAULT_WORKER_NICE */
  nice?: number;
  log: Logger;
}

/** Worker threads run below the gateways, pollers and DynamoDB Local, as a Lambda never shares their CPU. */
export const DEFAULT_WORKER_NICE = 10;

/**
 * The FAULT_SEED of one worker thread: FAULT_SEED mixed with the function name and the thread's index. Every thread
 * loads the handler with its own FaultConfig, so with one shared seed all threads (of every tier) would draw the same
 * sequence and crash on the same claim numbers together. Derived, they crash independently, and a run still repeats
 * from FAULT_SEED alone. Index: 0 to threads-1 at start; a thread replacing a dead one takes the next unused number,
 * so it does not replay the dead thread's draws. Local only: on AWS every sandbox reads FAULT_SEED as it is.
 */
export function threadFaultSeed(seed: number, functionName: string, index: number): number {
  let h = seed >>> 0;
  for (const c of `${functionName}#${index}`) h = Math.imul(h ^ c.charCodeAt(0), 0x9e3779b1) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  // FAULT_SEED must be an integer; keep it a positive 31-bit one, as the clock fallback is.
  return (h ^ (h >>> 13)) % 2 ** 31;
}

/** A function's environment in one thread: FAULT_SEED, when set to an integer, replaced by the thread's own (else left for the handler to judge). */
function threadEnv(env: Record<string, string>, functionName: string, index: number): Record<string, string> {
  const raw = env.FAULT_SEED;
  const seed = raw === undefined || raw.trim() === '' ? Number.NaN : Number(raw);
  if (!Number.isInteger(seed)) return { ...env };
  return { ...env, FAULT_SEED: String(threadFaultSeed(seed, functionName, index)) };
}

export class InvocationTimeoutError extends Error {
  override name = 'InvocationTimeoutError';
}

export class InvocationError extends Error {
  override name = 'InvocationError';
  readonly errorName: string;
  constructor(name: string, message: string, stack?: string) {
    super(message);
    this.errorName = name;
    if (stack !== undefined) this.stack = stack;
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
  /** The function invoked. */
  fn: string;
}

interface Thread {
  worker: Worker;
  ready: Promise<void>;
  pending: Map<number, Pending>;
}

/** What a thread is asked to do: run `event` with the handler of function `fn`. */
export interface InvokeRequest {
  id: number;
  fn: string;
  event: unknown;
}

/**
 * Runs a handler in worker threads so CPU-heavy invocations (the backtest engine) never block the event loop
 * that serves HTTP, WebSocket and the stream poller. Every thread holds one handler instance per function, so one
 * pool can serve several functions (the tiers' workers) on the same threads. A thread may run several invocations
 * at once: they interleave at their awaits, as separate Lambda sandboxes would share a CPU. Invocations go to the
 * least busy thread; a thread that dies fails its invocations (like a crashed sandbox) and is replaced.
 */
export class WorkerPool {
  private readonly options: WorkerPoolOptions;
  private readonly threads: Thread[] = [];
  private nextId = 1;
  /** Threads started so far, replacements included: the next thread's index. */
  private spawned = 0;
  private closed = false;
  /** Set when a thread failed to load the handler: respawning would only fail again. */
  private broken: Error | undefined;

  constructor(options: WorkerPoolOptions) {
    if (!Number.isInteger(options.threads) || options.threads < 1) throw new Error(`threads must be a whole number >= 1, got ${options.threads}`);
    if (options.functions.length === 0) throw new Error('a worker pool needs at least one function');
    this.options = options;
    for (let i = 0; i < options.threads; i++) this.threads.push(this.spawn());
  }

  /** Resolves once every thread has loaded the handler (a failed load rejects). */
  async ready(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.ready));
  }

  /** Runs `event` with function `fn`'s handler on the least busy thread. */
  invoke(fn: string, event: unknown): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error(`${fn}: the pool is closed`));
    if (this.broken !== undefined) return Promise.reject(this.broken);
    if (!this.options.functions.some((f) => f.name === fn)) return Promise.reject(new Error(`${fn}: not a function of this pool`));
    const thread = this.threads.reduce((best, t) => (t.pending.size < best.pending.size ? t : best));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        thread.pending.delete(id);
        // On AWS the sandbox is killed; here other invocations share the thread, so only the caller gives up.
        reject(new InvocationTimeoutError(`${fn} timed out after ${this.options.timeoutMs} ms`));
      }, this.options.timeoutMs);
      thread.pending.set(id, { resolve, reject, timer, fn });
      thread.worker.postMessage({ id, fn, event } satisfies InvokeRequest);
    });
  }

  inFlight(): number {
    return this.threads.reduce((sum, t) => sum + t.pending.size, 0);
  }

  /** The pool's name in logs: its function names joined. */
  private get name(): string {
    return this.options.functions.map((f) => f.name).join('/');
  }

  /**
   * Test hook (fault tests): kills every thread that is running an invocation (of function `fn`, when given), as a
   * Lambda sandbox that dies mid-job (out of memory, a segfault in a native module). Their invocations, of any
   * function, fail with `Runtime.ExitError`, so the pollers leave the messages to reappear after the visibility
   * timeout; the threads are replaced as after any crash. Resolves to the number of invocations that were cut off.
   * Nothing calls this in normal runs.
   */
  async killBusyThreads(fn?: string): Promise<number> {
    const busy = this.threads.filter((t) => [...t.pending.values()].some((p) => fn === undefined || p.fn === fn));
    const cut = busy.reduce((sum, t) => sum + t.pending.size, 0);
    await Promise.all(busy.map((t) => t.worker.terminate()));
    return cut;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }

  private spawn(): Thread {
    const index = this.spawned++;
    const functions = this.options.functions.map((f) => ({ name: f.name, env: threadEnv(f.env, f.name, index) }));
    const worker = new Worker(new URL('./worker-thread.ts', import.meta.url), {
      workerData: { entry: this.options.entry, functions, timeoutMs: this.options.timeoutMs, nice: this.options.nice ?? DEFAULT_WORKER_NICE },
      // The first function's environment until the thread loads each handler with its own (worker-thread.ts).
      env: functions[0].env,
    });
    const pending = new Map<number, Pending>();
    let markReady: () => void = () => undefined;
    let failReady: (error: Error) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    // A load failure is reported through ready(); keep it from being an unhandled rejection meanwhile.
    ready.catch(() => undefined);
    const thread: Thread = { worker, ready, pending };
    let loaded = false;
    worker.on('message', (message: InvokeReply | { ready: true }) => {
      if ('ready' in message) {
        loaded = true;
        markReady();
        return;
      }
      const call = pending.get(message.id);
      if (call === undefined) return;
      pending.delete(message.id);
      clearTimeout(call.timer);
      if (message.ok) call.resolve(message.result);
      else call.reject(new InvocationError(message.error.name, message.error.message, message.error.stack));
    });
    worker.on('error', (error) => {
      this.options.log.error(`${this.name}: worker thread crashed`, error);
      if (!loaded) this.broken = new InvocationError('Runtime.ImportModuleError', `${this.name}: ${error.message}`);
      failReady(error);
    });
    worker.on('exit', (code) => {
      for (const call of pending.values()) {
        clearTimeout(call.timer);
        call.reject(new InvocationError('Runtime.ExitError', `${call.fn}: the worker thread exited (code ${code})`));
      }
      pending.clear();
      if (this.closed || !loaded) {
        failReady(new Error(`${this.name}: the worker thread exited during start-up (code ${code})`));
        return;
      }
      const index = this.threads.indexOf(thread);
      if (index >= 0) this.threads[index] = this.spawn();
    });
    return thread;
  }
}
