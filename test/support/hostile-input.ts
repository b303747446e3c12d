import fc from 'fast-check';
import { listStrategies, TIMEFRAMES } from '../../engine/index.ts';

/**
 * Hostile input generators shared by test/property (the handlers called directly, many runs) and test/e2e (the same
 * ideas over the wire), so both sides try the same attacks and a new one added here reaches both.
 */

/** Text that is not JSON (including the empty string). */
export const notJson = fc.string({ unit: 'binary', maxLength: 200 }).filter((s) => {
  try {
    JSON.parse(s);
    return false;
  } catch {
    return true;
  }
});

/** Strings a client might send: odd unicode (astral, combining marks, RTL, NUL), very long, or plain. */
export const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc.string({ unit: 'grapheme-composite', maxLength: 50 }),
  fc.constantFrom('\u0000', '\u202e', 'ℌ𝔢𝔩𝔩𝔬', '👩‍👩‍👧‍👦', 'a\u0301', '../../etc/passwd', '<script>', "'; DROP TABLE jobs;--", '%00', '${jndi:x}'),
  fc.integer({ min: 1_000, max: 80_000 }).map((n) => 'x'.repeat(n)),
);

/** JSON values of any type, for fields that expect something else. */
export const anyJson = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  hostileString,
  fc.array(fc.integer(), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.integer(), { maxKeys: 3 }),
);

/** The submit body's vocabulary, from the engine, so a new strategy or timeframe is never generated as "invalid". */
export const STRATEGY_IDS: ReadonlySet<string> = new Set(listStrategies().map((s) => s.id));
export const SYMBOL = /^[A-Za-z0-9][A-Za-z0-9._=^-]{0,31}$/;
export const SUBMIT_KEYS: ReadonlySet<string> = new Set([
  'strategyId', 'params', 'symbol', 'timeframe', 'startDate', 'endDate', 'initialCash', 'commission', 'slippageBps', 'sizing', 'fractional', 'sweep',
]);

/** A calendar date `YYYY-MM-DD` from 1900 to 2100: the only dates the submit schema accepts. */
export function realDateInRange(s: unknown): boolean {
  if (typeof s !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s) && d.getUTCFullYear() >= 1900 && d.getUTCFullYear() <= 2100;
}

export const badDate = fc.oneof(
  anyJson.filter((v) => !realDateInRange(v)),
  fc.integer({ min: 0, max: 9999 }).filter((y) => y < 1900 || y > 2100).map((y) => `${String(y).padStart(4, '0')}-06-15`),
  fc.constantFrom('2023-02-29', '2024-13-01', '2024-00-10', '2024-04-31', '1899-12-31', '2101-01-01', '20240101', '2024-1-1', '+275760-09-13'),
);

/** Grids no tier accepts: far past the largest tier's combinations, ranges that never end, or no values at all. */
const badParams = fc.oneof(
  fc.integer({ min: 30, max: 100_000_000 }).map((to) => ({ fast: { from: 1, to, step: 1 }, slow: { from: 100, to: 300, step: 1 } })),
  fc.integer({ min: 1_001, max: 20_000 }).map((n) => ({ fast: Array.from({ length: n }, (_, i) => i + 1), slow: [50, 60, 70, 80, 90, 100] })),
  fc.constant({ fast: { from: 1, to: 1e300, step: 1e-300 } }),
  fc.constant({ fast: { from: 1, to: 10, step: 0 } }),
  fc.constant({ fast: [] }),
  fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }).filter((k) => !['fast', 'slow', 'allowShort', '__proto__'].includes(k)), fc.integer(), { minKeys: 1, maxKeys: 3 }),
  anyJson.filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)),
);

/** One invalid submit body: `body` is an object to send as JSON, or a string to send as it is. */
export interface HostileSubmitBody {
  what: string;
  body: Record<string, unknown> | string;
}

/**
 * Submit bodies that are invalid by construction, each a mutation of `valid()` (so a 202 is always a bug). Transport
 * tricks (raw bytes, broken UTF-8, bodies past a size limit) belong to the caller, which knows its limits.
 */
export function hostileSubmitBody(valid: () => Record<string, unknown>): fc.Arbitrary<HostileSubmitBody> {
  const patched = (patch: Record<string, unknown>): Record<string, unknown> => ({ ...valid(), ...patch });
  return fc.oneof(
    notJson.map((text) => ({ what: 'not JSON', body: text })),
    fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(anyJson, { maxLength: 3 }), hostileString).map((v) => ({ what: 'not an object', body: JSON.stringify(v) })),
    fc.constantFrom('strategyId', 'symbol').map((k) => {
      const b = valid();
      delete b[k];
      return { what: `missing ${k}`, body: b };
    }),
    fc.tuple(fc.string({ minLength: 1, maxLength: 30 }).filter((k) => !SUBMIT_KEYS.has(k) && k !== '__proto__'), anyJson).map(([k, v]) => ({ what: `extra ${k}`, body: patched({ [k]: v }) })),
    fc.constantFrom('tier', 'userId', 'status', 'creditsCharged', 'attempts').map((k) => ({ what: `privileged ${k}`, body: patched({ [k]: 'pro' }) })),
    anyJson.filter((v) => typeof v !== 'string' || !STRATEGY_IDS.has(v)).map((v) => ({ what: 'strategyId', body: patched({ strategyId: v }) })),
    anyJson.filter((v) => typeof v !== 'string' || !SYMBOL.test(v)).map((v) => ({ what: 'symbol', body: patched({ symbol: v }) })),
    anyJson.filter((v) => !(TIMEFRAMES as readonly unknown[]).includes(v)).map((v) => ({ what: 'timeframe', body: patched({ timeframe: v }) })),
    fc.tuple(fc.constantFrom('startDate', 'endDate'), badDate).map(([k, v]) => ({ what: k, body: patched({ [k]: v }) })),
    fc.constant({ what: 'start after end', body: patched({ startDate: '2020-01-01', endDate: '2019-01-01' }) }),
    fc.oneof(fc.double({ max: 0, noNaN: true }), fc.double({ min: 1.0000001e12, noNaN: true }), hostileString, fc.constant(null)).map((v) => ({ what: 'initialCash', body: patched({ initialCash: v }) })),
    fc.oneof(fc.double({ max: -1e-9, noNaN: true }), fc.double({ min: 0.1000001, noNaN: true }), hostileString).map((v) => ({ what: 'commission', body: patched({ commission: v }) })),
    badParams.map((params) => ({ what: 'params', body: patched({ params }) })),
    fc.oneof(anyJson.filter((v) => v !== 'all-in'), fc.constant({ units: -1 }), fc.constant({ fraction: 2 }), fc.constant({ units: 1, fraction: 0.5 })).map((v) => ({ what: 'sizing', body: patched({ sizing: v }) })),
    fc.integer({ min: 1, max: 2000 }).map((depth) => ({ what: 'deep nesting', body: `${'['.repeat(depth)}${']'.repeat(depth)}` })),
  );
}
