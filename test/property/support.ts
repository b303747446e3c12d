import fc from 'fast-check';
import { expect } from 'vitest';
import type { HttpResult } from '../../lambdas/handlers/shared/http.ts';

/** Runs per property: enough to hit every generator branch many times, few enough that the suite stays fast. */
export const RUNS = 250;

/** Asserts an RFC 9457 problem in the 4xx range, with field paths when it is a validation error. */
export function expectClientProblem(res: HttpResult): Record<string, unknown> {
  expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
  expect(res.statusCode, res.body).toBeLessThan(500);
  expect(res.headers?.['Content-Type']).toBe('application/problem+json');
  const problem = JSON.parse(res.body ?? 'null') as Record<string, unknown>;
  expect(problem).toMatchObject({ type: expect.any(String), title: expect.any(String), status: res.statusCode, detail: expect.any(String) });
  if (problem.type === '/problems/validation-error') {
    expect(Array.isArray(problem.errors) && problem.errors.length > 0, res.body).toBe(true);
    for (const e of problem.errors as unknown[]) expect(e).toEqual({ path: expect.any(String), message: expect.any(String) });
  }
  return problem;
}

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
