import { z } from 'zod';
import { TIERS, type Tier } from '../lambdas/core/tiers.ts';

export class LocalConfigError extends Error {
  override name = 'LocalConfigError';
}

const port = z.coerce.number().int().min(0).max(65_535);
const tierCounts = z
  .string()
  .regex(/^(free|basic|pro)=\d+(,(free|basic|pro)=\d+)*$/, 'must look like free=1,basic=1,pro=2')
  .transform((s) => Object.fromEntries(s.split(',').map((pair) => pair.split('=')).map(([k, v]) => [k, Number(v)])) as Partial<Record<Tier, number>>);

const schema = z.object({
  HTTP_PORT: port.default(3000),
  WS_PORT: port.default(3001),
  DATA_DIR: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'CRITICAL']).optional(),
  /**
   * Worker threads: a number (default: one per core) for one pool the tiers share, pro first; or per tier, e.g.
   * `free=1,basic=1,pro=2`, for a pool each that the other tiers never use (as on AWS).
   */
  LOCAL_WORKER_THREADS: z
    .union([z.string().regex(/^\d+$/).transform(Number).pipe(z.number().int().min(1).max(64)), tierCounts], { error: 'must be a number of threads (e.g. 2) or per tier (e.g. free=1,basic=1,pro=2)' })
    .optional(),
  /** maxConcurrency per tier, e.g. `free=2,basic=5,pro=10` (the CDK context `concurrency.<tier>` locally). */
  LOCAL_CONCURRENCY: tierCounts.optional(),
  /** Nice value of the worker threads on Linux, 0-19 (default 10): backtests yield the CPU to the gateways (per-tier pools: pro's; basic +3, free +6). */
  LOCAL_WORKER_NICE: z.coerce.number().int().min(0).max(19).optional(),
  /**
   * Worker invocations run at once per thread (default 1): each tier's poller takes at most max(2, threads x this)
   * messages unless LOCAL_CONCURRENCY says otherwise. More interleaves CPU-bound jobs on a thread (see docs/local.md).
   */
  LOCAL_INVOCATIONS_PER_THREAD: z.coerce.number().int().min(1).max(1000).default(1),
});

export type LocalConfig = z.infer<typeof schema>;

/** Reads the local stack's settings from the environment once; a bad value names the variable. */
export function readLocalConfig(env: NodeJS.ProcessEnv = process.env): LocalConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new LocalConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  for (const key of ['LOCAL_WORKER_THREADS', 'LOCAL_CONCURRENCY'] as const) {
    const value = parsed.data[key];
    for (const tier of typeof value === 'object' ? Object.keys(value) : []) {
      if (!(TIERS as readonly string[]).includes(tier)) throw new LocalConfigError(`${key}: unknown tier ${tier}`);
    }
  }
  return parsed.data;
}
