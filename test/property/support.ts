import { expect } from 'vitest';
import type { HttpResult } from '../../lambdas/handlers/shared/http.ts';

/** Runs per property: enough to hit every generator branch many times, few enough that the suite stays fast. */
export const RUNS = Number(process.env.PROPERTY_RUNS ?? 250);

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

/** The generators live in test/support/hostile-input.ts, shared with test/e2e; re-exported for older imports. */
export { anyJson, hostileString, notJson } from '../support/hostile-input.ts';
