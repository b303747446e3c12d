import type * as z from '../../../engine/zod-mini.ts';
import type { FieldIssue } from '../errors.ts';

/**
 * zod issues as `{path, message}` with dotted paths (`params.fast`, `sizing.units`); a root issue has path `''`.
 * An unknown key is reported at its own path, so the client sees which field to remove.
 */
export function fieldIssues(error: z.core.$ZodError): FieldIssue[] {
  return error.issues.flatMap((issue) => {
    const base = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: [...base, key].join('.'), message: 'is not an allowed field' }));
    }
    return [{ path: base.join('.'), message: issue.message }];
  });
}
