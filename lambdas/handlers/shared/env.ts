import * as z from '../../../engine/zod-mini.ts';
import { TIERS, type Tier, type TierSettings } from '../../core/tiers.ts';

/** Thrown at cold start when the function's configuration is incomplete: a deploy error, not a request error. */
export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

const required = z.string().check(z.minLength(1, 'is required'));
// An SQS event source mapping's maxConcurrency is at least 2.
const concurrency = z.number().check(z.int()).check(z.gte(2));

/** Env vars, grouped by what they configure (docs/wiring.md lists who needs which). */
export const envSchemas = {
  jobsTable: z.object({ JOBS_TABLE: required }),
  usersTable: z.object({ USERS_TABLE: required }),
  connectionsTable: z.object({ CONNECTIONS_TABLE: required }),
  queues: z.object({ QUEUE_URL_FREE: required, QUEUE_URL_BASIC: required, QUEUE_URL_PRO: required }),
  deadLetterQueues: z.object({ DLQ_URL_FREE: required, DLQ_URL_BASIC: required, DLQ_URL_PRO: required }),
  workerTier: z.object({ TIER: z.enum(['free', 'basic', 'pro']) }),
  // The deployed maxConcurrency per tier (CDK context `concurrency.<tier>`, LOCAL_CONCURRENCY locally), for the admin
  // queue view; absent = the tier table. Written by tierConcurrencyValue.
  tierConcurrency: z.object({
    TIER_CONCURRENCY: z.optional(
      z.pipe(
        z.pipe(
          z.string(),
          z.transform((text: string, payload) => {
            try {
              return JSON.parse(text) as unknown;
            } catch {
              payload.issues.push({ code: 'custom', message: `must be JSON like {"free":5,"basic":20,"pro":50}, got ${text}`, input: text });
              return z.NEVER;
            }
          }),
        ),
        z.partial(z.strictObject({ free: concurrency, basic: concurrency, pro: concurrency })),
      ),
    ),
  }),
  // Locally DATA_DIR selects the CSV folder; on AWS MARKET_DATA_BUCKET selects S3. One of them must be set.
  marketData: z
    .object({ MARKET_DATA_BUCKET: z.optional(z.string().check(z.minLength(1))), DATA_DIR: z.optional(z.string().check(z.minLength(1))) })
    .check(
      z.refine((e) => e.MARKET_DATA_BUCKET !== undefined || e.DATA_DIR !== undefined, {
        message: 'set MARKET_DATA_BUCKET (S3) or DATA_DIR (CSV folder)',
        path: ['MARKET_DATA_BUCKET'],
      }),
    ),
  wsManagement: z.object({ WS_MANAGEMENT_ENDPOINT: z.url() }),
  // Signing keys fetched over plain http could be swapped in transit: https, except the local stack's own loopback.
  jwt: z.object({
    JWKS_URL: z.url().check(
      z.refine((u: string) => u.startsWith('https://') || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//.test(u), {
        message: 'must be an https URL (http only on the loopback interface, for the local stack)',
      }),
    ),
    JWT_ISSUER: required,
    JWT_AUDIENCE: required,
  }),
  // Where admin tier changes go: the Cognito pool whose custom:tier feeds the token's claim, or (locally, or with an
  // external issuer that reads it) the Users table profile.
  userDirectory: z.discriminatedUnion('USER_DIRECTORY', [
    z.object({ USER_DIRECTORY: z.literal('cognito'), USER_POOL_ID: required }),
    z.object({ USER_DIRECTORY: z.literal('users-table') }),
  ]),
  // Where the admin claim is confirmed (a demoted admin loses rights within a minute): the Cognito pool's admin
  // group; absent (local stack, external issuer) = the token's claim stands.
  adminDirectory: z.object({ ADMIN_USER_POOL_ID: z.optional(z.string().check(z.minLength(1))) }),
} as const;

/** Parses the env vars a schema names, once per cold start; a missing or bad one throws naming every offender. */
export function parseEnv<S extends z.ZodMiniType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'} ${i.message}`).join('; ');
    throw new ConfigurationError(`Invalid environment: ${problems}`);
  }
  return parsed.data;
}

/** The TIER_CONCURRENCY value for a tier table: what the CDK and the local stack give the admin-queues function. */
export function tierConcurrencyValue(tiers: Readonly<Record<Tier, TierSettings>>): string {
  return JSON.stringify(Object.fromEntries(TIERS.map((tier) => [tier, tiers[tier].maxConcurrency])));
}
