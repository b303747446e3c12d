/**
 * Lambda event filtering (FilterCriteria patterns) for the local event source mappings: a record reaches the
 * function only if it matches one of the patterns. Supports the pattern forms a mapping here uses: exact values,
 * `prefix`, `anything-but`, `exists`, `numeric` and nested objects.
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html
 */
export type FilterPattern = { [key: string]: FilterPattern | readonly unknown[] };

export class FilterPatternError extends Error {
  override name = 'FilterPatternError';
}

export function matchesAny(patterns: readonly FilterPattern[], record: unknown): boolean {
  return patterns.length === 0 || patterns.some((pattern) => matches(pattern, record));
}

export function matches(pattern: FilterPattern, value: unknown): boolean {
  for (const [key, rule] of Object.entries(pattern)) {
    const field = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
    if (Array.isArray(rule)) {
      if (!rule.some((alternative) => matchesRule(alternative, field))) return false;
    } else if (typeof rule === 'object' && rule !== null) {
      if (!matches(rule as FilterPattern, field)) return false;
    } else {
      throw new FilterPatternError(`pattern key ${key}: expected an array or an object`);
    }
  }
  return true;
}

function matchesRule(rule: unknown, field: unknown): boolean {
  if (rule === null || typeof rule !== 'object') return field === rule || (Array.isArray(field) && field.includes(rule));
  const r = rule as Record<string, unknown>;
  if ('exists' in r) return r.exists === true ? field !== undefined : field === undefined;
  if ('prefix' in r) return typeof field === 'string' && field.startsWith(String(r.prefix));
  if ('anything-but' in r) {
    const excluded = Array.isArray(r['anything-but']) ? r['anything-but'] : [r['anything-but']];
    return field !== undefined && !excluded.includes(field);
  }
  if ('numeric' in r) return matchesNumeric(r.numeric as unknown[], field);
  throw new FilterPatternError(`unsupported filter rule ${JSON.stringify(rule)}`);
}

function matchesNumeric(conditions: unknown[], field: unknown): boolean {
  const n = typeof field === 'number' ? field : typeof field === 'string' ? Number(field) : Number.NaN;
  if (Number.isNaN(n)) return false;
  for (let i = 0; i + 1 < conditions.length; i += 2) {
    const op = conditions[i];
    const bound = Number(conditions[i + 1]);
    const ok = op === '=' ? n === bound : op === '<' ? n < bound : op === '<=' ? n <= bound : op === '>' ? n > bound : op === '>=' ? n >= bound : false;
    if (!ok) return false;
  }
  return true;
}
