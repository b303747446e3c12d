import * as z from '../../engine/zod-mini.ts';
import { statsSchema } from './api-schemas.ts';
import { RANK_METRIC_NAMES } from './leaderboard-entry.ts';

/** Response shapes of the leaderboard routes, for the OpenAPI document and the clients' tests. */
const window = z.object({ startDate: z.string(), endDate: z.string() });
const nullableNumber = z.nullable(z.number());

export const boardSchemaOut = z.object({
  id: z.string(),
  title: z.string(),
  symbol: z.string(),
  timeframe: z.string(),
  inSample: window,
  outOfSample: window,
  links: z.object({ self: z.string() }),
});

export const boardsResponseSchema = z.object({
  boards: z.array(boardSchemaOut),
  metrics: z.array(z.enum(RANK_METRIC_NAMES as [string, ...string[]])),
  defaultMetric: z.string(),
});

export const leaderboardEntrySchema = z.object({
  entryId: z.string(),
  board: z.string(),
  displayName: z.string(),
  strategyId: z.string(),
  params: z.record(z.string(), z.union([z.number(), z.boolean()])),
  costs: z.object({ initialCash: z.number(), commission: z.number(), slippageBps: z.number(), sizing: z.unknown(), fractional: z.boolean() }),
  publishedAt: z.string(),
  engineVersion: z.string(),
  inSample: z.extend(window, { stats: statsSchema, barsSha256: z.string() }),
  outOfSample: z.extend(window, { stats: statsSchema, barsSha256: z.string() }),
  gap: z.object({ sharpe: nullableNumber, returnPct: nullableNumber, cagrPct: nullableNumber, maxDrawdownPct: nullableNumber }),
  deflatedSharpe: z.object({
    probability: nullableNumber,
    sharpe: nullableNumber,
    expectedMaxSharpe: z.number(),
    trials: z.number().check(z.int()),
    observations: z.number().check(z.int()),
    skewness: nullableNumber,
    kurtosis: nullableNumber,
    varianceBasis: z.enum(['all', 'top', 'single']),
  }),
  rank: z.optional(z.number().check(z.int())),
});

export const leaderboardPageSchema = z.object({
  board: z.omit(boardSchemaOut, { links: true }),
  metric: z.string(),
  items: z.array(leaderboardEntrySchema),
  nextCursor: z.nullable(z.string()),
});

export const publishResponseSchema = z.object({
  board: z.string(),
  status: z.literal('pending'),
  outOfSampleJobId: z.string(),
  links: z.object({ job: z.string(), board: z.string() }),
});

export const unpublishResponseSchema = z.object({ board: z.string(), removed: z.literal(true) });
