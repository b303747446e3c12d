import { z } from 'zod';
import { TIMEFRAMES } from '../../engine/types.ts';

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD')
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s) && d.getUTCFullYear() >= 1900 && d.getUTCFullYear() <= 2100;
  }, 'must be a real calendar date between 1900 and 2100');

const finite = z.number().finite();
const paramRange = z.strictObject({ from: finite, to: finite, step: finite.positive() });
const paramValue = z.union([finite, z.boolean(), z.array(finite).min(1).max(1000), paramRange], {
  error: 'must be a number, a boolean, a list of 1-1000 numbers, or a range {from, to, step}',
});

/** The body of `POST /backtests`. Unknown keys are rejected; strategy parameters are checked by the engine. */
export const submitRequestSchema = z
  .strictObject({
    strategyId: z.string().min(1).max(64),
    params: z.record(z.string().min(1).max(64), paramValue).default({}),
    symbol: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._=^-]{0,31}$/, 'must be 1-32 letters, digits or . _ = ^ -'),
    timeframe: z.enum(TIMEFRAMES).default('1d'),
    startDate: isoDate.optional(),
    endDate: isoDate.optional(),
    initialCash: finite.positive().max(1e12).default(10_000),
    commission: finite.min(0).max(0.1).default(0),
    slippageBps: finite.min(0).max(1000).default(0),
    sizing: z
      .union([z.literal('all-in'), z.strictObject({ units: finite.positive() }), z.strictObject({ fraction: finite.positive().max(1) })])
      .default('all-in'),
    fractional: z.boolean().default(false),
    sweep: z.strictObject({ metric: z.string().min(1).max(32).optional(), top: z.number().int().min(1).max(50).optional() }).optional(),
  })
  .refine((r) => !r.startDate || !r.endDate || r.startDate <= r.endDate, { message: 'must not be after endDate', path: ['startDate'] });

export type SubmitRequest = z.infer<typeof submitRequestSchema>;
