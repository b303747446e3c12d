/**
 * zod schemas of the HTTP API's responses. They generate the OpenAPI document (GET /openapi.json) together with the
 * request schemas the use cases validate with, and the handler tests parse real responses with them, so the
 * document describes what the API really sends.
 */
import { z } from 'zod';
import { TIMEFRAMES } from '../../engine/types.ts';
import { JOB_STATUSES } from './job.ts';
import { submitRequestSchema } from './submit-schema.ts';
import { TIERS } from './tiers.ts';

const isoTime = z.string().describe('ISO 8601 UTC');
const tier = z.enum(TIERS);
const status = z.enum(JOB_STATUSES);
// JSON has no NaN or Infinity: a stat that is not a finite number (a Sharpe of a flat curve) is null.
const stat = z.number().nullable();

export const fieldIssueSchema = z.object({ path: z.string(), message: z.string() });

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(fieldIssueSchema).optional(),
  })
  .describe('RFC 9457 problem details (application/problem+json)');

export const statsSchema = z.object({
  start: isoTime, end: isoTime, bars: z.number().int(), trades: z.number().int(),
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
  returnPct: z.number().nullable(),
});

const paramsSchema = z.record(z.string(), z.union([z.number(), z.boolean()]));
export const sweepRowSchema = z.object({ params: paramsSchema, stats: statsSchema });

export const sweepGridSchema = z.object({
  params: z.tuple([z.string(), z.string()]),
  values: z.record(z.string(), z.array(z.number())),
  metric: z.array(z.number().nullable()).describe('row-major over values[params[0]] x values[params[1]]; null = skipped or not a number'),
});

export const jobLinksSchema = z.object({
  self: z.string(),
  equity: z.string().optional(),
  trades: z.string().optional(),
  sweep: z.string().optional(),
});

const resultSummarySchema = z.object({ params: paramsSchema, stats: statsSchema, tradesTotal: z.number().int() });

const jobBase = {
  jobId: z.string(),
  tier,
  status,
  progress: z.number().min(0).max(1),
  message: z.string(),
  attempts: z.number().int(),
  createdAt: isoTime,
  updatedAt: isoTime,
  startedAt: isoTime.optional(),
  finishedAt: isoTime.optional(),
  request: submitRequestSchema,
  combinations: z.number().int(),
  cancelRequested: z.boolean().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  queuePosition: z.number().int().optional().describe('jobs ahead of this one in its tier, while queued'),
  etaSeconds: z.number().optional().describe('while queued: seconds until done (wait plus run); while running: seconds left; estimates'),
  links: jobLinksSchema,
};

export const compactJobSchema = z.object({ ...jobBase, result: resultSummarySchema.optional() });

export const jobViewSchema = z.object({
  ...jobBase,
  userId: z.string(),
  creditsCharged: z.number(),
  result: resultSummarySchema
    .extend({
      sweep: z.object({ metric: z.string(), combinations: z.number().int(), top: z.array(sweepRowSchema) }).optional(),
      provenance: z.object({ engineVersion: z.string(), barsSha256: z.string() }).optional(),
    })
    .optional(),
});

export const jobPageSchema = z.object({ items: z.array(compactJobSchema), nextCursor: z.string().nullable() });

export const submitResponseSchema = z.object({
  jobId: z.string(),
  status,
  tier,
  createdAt: isoTime,
  combinations: z.number().int(),
  links: jobLinksSchema,
  replayed: z.boolean(),
});

export const submitEstimateSchema = z.object({
  dryRun: z.literal(true),
  tier,
  combinations: z.number().int(),
  bars: z.number().int().describe('bars the request covers, as the data has them'),
  barsFrom: z.enum(['catalog', 'synthetic', 'calendar']).describe("how bars were counted: the symbol catalog's bar count, the synthetic calendar, or calendar days (no catalog entry)"),
  barEvaluations: z.number().describe('bars x combinations'),
  chunks: z.number().int().describe('slices of the grid run in parallel by the tier workers (1: no fan-out)'),
  credits: z.number().int().describe('what submit would charge'),
  queuePosition: z.number().int().describe('queued jobs of the tier it would wait behind'),
  etaSeconds: z.number().describe('seconds until it would be done: the wait for a worker plus the run, from the tier recent throughput'),
  limits: z.object({ maxCombinations: z.number().int(), maxBarEvaluations: z.number(), chunkBarEvaluations: z.number() }),
});

export const equitySchema = z.object({
  time: z.array(z.number()).describe('epoch ms'),
  equity: z.array(z.number()),
  drawdownPct: z.array(z.number().max(0)),
});

export const tradesPageSchema = z.object({
  items: z.array(tradeSchema),
  nextCursor: z.string().nullable(),
  total: z.number().int().describe('trades the run made'),
  stored: z.number().int().describe('trades kept with the job; pages run over these'),
});

export const sweepViewSchema = z.object({
  metric: z.string(),
  combinations: z.number().int(),
  top: z.array(sweepRowSchema),
  grid: sweepGridSchema.optional().describe('only when exactly two parameters vary'),
});

export const meSchema = z.object({
  userId: z.string(),
  tier,
  admin: z.boolean(),
  credits: z.number(),
  creditsPerJob: z.number(),
  submissionsToday: z.number().int(),
  dailyLimit: z.number().int().nullable().describe('null = unlimited'),
  dailyResetAt: isoTime.describe('the next 00:00 UTC'),
  limits: z.object({ maxCombinations: z.number().int(), maxBarEvaluations: z.number().int() }),
});

const paramJsonSchema = z.object({
  type: z.enum(['integer', 'number', 'boolean']),
  default: z.union([z.number(), z.boolean()]).optional(),
  minimum: z.number().optional(),
  maximum: z.number().optional(),
  description: z.string().optional(),
});

export const strategiesSchema = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      description: z.string().describe('one line'),
      details: z.string(),
      parameters: z
        .looseObject({ type: z.literal('object'), properties: z.record(z.string(), paramJsonSchema), additionalProperties: z.literal(false) })
        .describe('JSON Schema of the scalar parameters'),
    }),
  ),
});

export const symbolsPageSchema = z.object({
  items: z.array(
    z.object({
      symbol: z.string(),
      timeframe: z.enum(TIMEFRAMES),
      firstBar: z.string().describe('YYYY-MM-DD for daily bars, ISO 8601 UTC otherwise'),
      lastBar: z.string(),
      bars: z.number().int(),
      source: z.enum(['csv', 's3']),
    }),
  ),
  synthetic: z.object({ pattern: z.string(), timeframes: z.array(z.enum(TIMEFRAMES)), description: z.string() }),
  nextCursor: z.string().nullable(),
});

export const queuesSchema = z.object({
  at: isoTime,
  tiers: z.array(
    z.object({
      tier,
      waiting: z.number().int(),
      inFlight: z.number().int(),
      deadLettered: z.number().int(),
      oldestQueuedAgeSeconds: z.number().nullable(),
      maxConcurrency: z.number().int(),
    }),
  ),
});

export const userAccountSchema = z.object({
  userId: z.string(),
  tier,
  credits: z.number(),
  hasAccount: z.boolean(),
  day: z.string(),
  submissionsToday: z.number().int(),
  dailyLimit: z.number().int().nullable(),
});

export const creditsResponseSchema = z.object({ userId: z.string(), credits: z.number(), amount: z.number() });
export const tierResponseSchema = z.object({ userId: z.string(), tier, previousTier: tier });
