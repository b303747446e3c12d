/**
 * zod schemas of the HTTP API's responses. They generate the OpenAPI document (GET /openapi.json) together with the
 * request schemas the use cases validate with, and the handler tests parse real responses with them, so the
 * document describes what the API really sends.
 */
import * as z from '../../engine/zod-mini.ts';
import { described } from '../../engine/zod-mini.ts';
import { TIMEFRAMES } from '../../engine/types.ts';
import { JOB_STATUSES } from './job.ts';
import { submitRequestSchema } from './submit-schema.ts';
import { TIERS } from './tiers.ts';

const isoTime = described(z.string(), 'ISO 8601 UTC');
const tier = z.enum(TIERS);
const status = z.enum(JOB_STATUSES);
// JSON has no NaN or Infinity: a stat that is not a finite number (a Sharpe of a flat curve) is null.
const stat = z.nullable(z.number());
const int = (): z.ZodMiniNumber<number> => z.number().check(z.int());

export const fieldIssueSchema = z.object({ path: z.string(), message: z.string() });

export const problemSchema = described(
  z.object({
    type: z.string(),
    title: z.string(),
    status: int(),
    detail: z.string(),
    errors: z.optional(z.array(fieldIssueSchema)),
  }),
  'RFC 9457 problem details (application/problem+json)',
);

export const statsSchema = z.object({
  start: isoTime, end: isoTime, bars: int(), trades: int(),
  equityFinal: stat, equityPeak: stat, returnPct: stat, buyHoldReturnPct: stat, cagrPct: stat, volatilityAnnPct: stat,
  sharpe: stat, sortino: stat, calmar: stat, maxDrawdownPct: stat, avgDrawdownPct: stat, maxDrawdownDurationDays: stat,
  winRatePct: stat, bestTradePct: stat, worstTradePct: stat, avgTradePct: stat, profitFactor: stat, expectancyPct: stat,
  exposurePct: stat,
});

export const tradeSchema = z.object({
  side: z.enum(['long', 'short']),
  size: z.number(),
  entryTime: isoTime,
  exitTime: isoTime,
  entryPrice: z.number(),
  exitPrice: z.number(),
  pnl: z.number(),
  returnPct: z.nullable(z.number()),
});

const paramsSchema = z.record(z.string(), z.union([z.number(), z.boolean()]));
export const sweepRowSchema = z.object({ params: paramsSchema, stats: statsSchema });

export const sweepGridSchema = z.object({
  params: z.tuple([z.string(), z.string()]),
  values: z.record(z.string(), z.array(z.number())),
  metric: described(z.array(z.nullable(z.number())), 'row-major over values[params[0]] x values[params[1]]; null = skipped or not a number'),
});

export const jobLinksSchema = z.object({
  self: z.string(),
  equity: z.optional(z.string()),
  trades: z.optional(z.string()),
  sweep: z.optional(z.string()),
});

const resultSummarySchema = z.object({ params: paramsSchema, stats: statsSchema, tradesTotal: int() });

const jobBase = {
  jobId: z.string(),
  tier,
  status,
  progress: z.number().check(z.gte(0)).check(z.lte(1)),
  message: z.string(),
  attempts: int(),
  createdAt: isoTime,
  updatedAt: isoTime,
  startedAt: z.optional(isoTime),
  finishedAt: z.optional(isoTime),
  request: submitRequestSchema,
  combinations: int(),
  cancelRequested: z.optional(z.boolean()),
  error: z.optional(z.object({ code: z.string(), message: z.string() })),
  queuePosition: described(z.optional(int()), 'jobs ahead of this one in its tier, while queued'),
  etaSeconds: described(z.optional(z.number()), 'while queued: seconds until done (wait plus run); while running: seconds left; estimates'),
  links: jobLinksSchema,
};

export const compactJobSchema = z.object({ ...jobBase, result: z.optional(resultSummarySchema) });

export const jobViewSchema = z.object({
  ...jobBase,
  userId: z.string(),
  creditsCharged: z.number(),
  result: z.optional(
    z.extend(resultSummarySchema, {
      sweep: z.optional(z.object({ metric: z.string(), combinations: int(), top: z.array(sweepRowSchema) })),
      provenance: z.optional(z.object({ engineVersion: z.string(), barsSha256: z.string() })),
    }),
  ),
});

export const jobPageSchema = z.object({ items: z.array(compactJobSchema), nextCursor: z.nullable(z.string()) });

export const submitResponseSchema = z.object({
  jobId: z.string(),
  status,
  tier,
  createdAt: isoTime,
  combinations: int(),
  links: jobLinksSchema,
  replayed: z.boolean(),
});

export const submitEstimateSchema = z.object({
  dryRun: z.literal(true),
  tier,
  combinations: int(),
  bars: described(int(), 'bars the request covers, as the data has them'),
  barsFrom: described(z.enum(['catalog', 'synthetic', 'calendar']), "how bars were counted: the symbol catalog's bar count, the synthetic calendar, or calendar days (no catalog entry)"),
  barEvaluations: described(z.number(), 'bars x combinations'),
  chunks: described(int(), 'slices of the grid run in parallel by the tier workers (1: no fan-out)'),
  credits: described(int(), 'what submit would charge'),
  queuePosition: described(int(), 'queued jobs of the tier it would wait behind'),
  etaSeconds: described(z.number(), 'seconds until it would be done: the wait for a worker plus the run, from the tier recent throughput'),
  limits: z.object({ maxCombinations: int(), maxBarEvaluations: z.number(), chunkBarEvaluations: z.number() }),
});

export const equitySchema = z.object({
  time: described(z.array(z.number()), 'epoch ms'),
  equity: z.array(z.number()),
  drawdownPct: z.array(z.number().check(z.lte(0))),
});

export const tradesPageSchema = z.object({
  items: z.array(tradeSchema),
  nextCursor: z.nullable(z.string()),
  total: described(int(), 'trades the run made'),
  stored: described(int(), 'trades kept with the job; pages run over these'),
});

export const sweepViewSchema = z.object({
  metric: z.string(),
  combinations: int(),
  top: z.array(sweepRowSchema),
  grid: described(z.optional(sweepGridSchema), 'only when exactly two parameters vary'),
});

export const meSchema = z.object({
  userId: z.string(),
  tier,
  admin: z.boolean(),
  credits: z.number(),
  creditsPerJob: z.number(),
  submissionsToday: int(),
  dailyLimit: described(z.nullable(int()), 'null = unlimited'),
  dailyResetAt: described(isoTime, 'the next 00:00 UTC'),
  limits: z.object({ maxCombinations: int(), maxBarEvaluations: int() }),
});

const paramJsonSchema = z.object({
  type: z.enum(['integer', 'number', 'boolean']),
  default: z.optional(z.union([z.number(), z.boolean()])),
  minimum: z.optional(z.number()),
  maximum: z.optional(z.number()),
  description: z.optional(z.string()),
});

export const strategiesSchema = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      description: described(z.string(), 'one line'),
      details: z.string(),
      parameters: described(
        z.looseObject({ type: z.literal('object'), properties: z.record(z.string(), paramJsonSchema), additionalProperties: z.literal(false) }),
        'JSON Schema of the scalar parameters',
      ),
    }),
  ),
});

export const symbolsPageSchema = z.object({
  items: z.array(
    z.object({
      symbol: z.string(),
      timeframe: z.enum(TIMEFRAMES),
      firstBar: described(z.string(), 'YYYY-MM-DD for daily bars, ISO 8601 UTC otherwise'),
      lastBar: z.string(),
      bars: int(),
      source: z.enum(['csv', 's3']),
    }),
  ),
  synthetic: z.object({ pattern: z.string(), timeframes: z.array(z.enum(TIMEFRAMES)), description: z.string() }),
  nextCursor: z.nullable(z.string()),
});

export const queuesSchema = z.object({
  at: isoTime,
  tiers: z.array(
    z.object({
      tier,
      waiting: int(),
      inFlight: int(),
      deadLettered: int(),
      oldestQueuedAgeSeconds: z.nullable(z.number()),
      maxConcurrency: int(),
    }),
  ),
});

export const userAccountSchema = z.object({
  userId: z.string(),
  tier,
  credits: z.number(),
  hasAccount: z.boolean(),
  day: z.string(),
  submissionsToday: int(),
  dailyLimit: z.nullable(int()),
});

export const creditsResponseSchema = z.object({ userId: z.string(), credits: z.number(), amount: z.number() });
export const tierResponseSchema = z.object({ userId: z.string(), tier, previousTier: tier });
