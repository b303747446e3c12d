import * as z from '../../engine/zod-mini.ts';
import { TIMEFRAMES } from '../../engine/types.ts';

// zod/mini (engine/zod-mini.ts): each classic method call is one `.check(...)` here, in the same order, so the
// schemas, their messages and their JSON Schema stay exactly what the classic chains built.
const isoDate = z
  .string()
  .check(z.regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD'))
  .check(
    z.refine((s: string) => {
      const d = new Date(`${s}T00:00:00Z`);
      return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s) && d.getUTCFullYear() >= 1900 && d.getUTCFullYear() <= 2100;
    }, 'must be a real calendar date between 1900 and 2100'),
  );

// Finite: z.number() refuses Infinity and NaN already (classic's .finite() was a no-op).
const finite = z.number();
const paramRange = z.strictObject({ from: finite, to: finite, step: finite.check(z.positive()) });
const paramValue = z.union([finite, z.boolean(), z.array(finite).check(z.minLength(1)).check(z.maxLength(1000)), paramRange], {
  error: 'must be a number, a boolean, a list of 1-1000 numbers, or a range {from, to, step}',
});

/** The body of `POST /backtests`. Unknown keys are rejected; strategy parameters are checked by the engine. */
export const submitRequestSchema = z
  .strictObject({
    strategyId: z.string().check(z.minLength(1)).check(z.maxLength(64)),
    params: z._default(z.record(z.string().check(z.minLength(1)).check(z.maxLength(64)), paramValue), {}),
    symbol: z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._=^-]{0,31}$/, 'must be 1-32 letters, digits or . _ = ^ -')),
    timeframe: z._default(z.enum(TIMEFRAMES), '1d'),
    startDate: z.optional(isoDate),
    endDate: z.optional(isoDate),
    initialCash: z._default(finite.check(z.positive()).check(z.lte(1e12)), 10_000),
    commission: z._default(finite.check(z.gte(0)).check(z.lte(0.1)), 0),
    slippageBps: z._default(finite.check(z.gte(0)).check(z.lte(1000)), 0),
    sizing: z._default(
      z.union([z.literal('all-in'), z.strictObject({ units: finite.check(z.positive()) }), z.strictObject({ fraction: finite.check(z.positive()).check(z.lte(1)) })]),
      'all-in',
    ),
    fractional: z._default(z.boolean(), false),
    sweep: z.optional(
      z.strictObject({
        metric: z.optional(z.string().check(z.minLength(1)).check(z.maxLength(32))),
        top: z.optional(z.number().check(z.int()).check(z.gte(1)).check(z.lte(50))),
      }),
    ),
  })
  .check(z.refine((r) => !r.startDate || !r.endDate || r.startDate <= r.endDate, { message: 'must not be after endDate', path: ['startDate'] }));

export type SubmitRequest = z.infer<typeof submitRequestSchema>;
