/** Timestamp parsing and formatting shared by the CSV loader and the CLI. Everything is UTC. */

const DAY_MS = 86_400_000;
export { DAY_MS };

// YYYY-MM-DD, optionally followed by [T ]HH:MM[:SS[.fff]] and an optional Z or ±HH[:]MM offset.
const TIMESTAMP_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Parses an ISO-like timestamp to epoch ms, or returns NaN. A date alone is UTC midnight and a time without a zone
 * is UTC: `Date.parse` would read `2017-04-19 09:00:00` as local time, which makes results depend on the machine.
 */
export function parseTimestamp(text: string): number {
  const m = TIMESTAMP_RE.exec(text.trim());
  if (m === null) return Number.NaN;
  const year = +m[1];
  const month = +m[2];
  const day = +m[3];
  const hour = m[4] === undefined ? 0 : +m[4];
  const minute = m[5] === undefined ? 0 : +m[5];
  const second = m[6] === undefined ? 0 : +m[6];
  const ms = m[7] === undefined ? 0 : Math.floor(+`0.${m[7]}` * 1000);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return Number.NaN;
  const t = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  // Date.UTC rolls 2021-02-30 over into March; a calendar-invalid date is an error, not a different day.
  if (new Date(t).getUTCDate() !== day) return Number.NaN;
  let offsetMin = 0;
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z') {
    const digits = zone.replace(':', '');
    const sign = digits[0] === '-' ? -1 : 1;
    offsetMin = sign * (+digits.slice(1, 3) * 60 + +digits.slice(3, 5));
  }
  return t - offsetMin * 60_000;
}

/** ISO 8601 UTC with milliseconds, e.g. `2004-01-02T00:00:00.000Z`. */
export function toIso(ms: number): string {
  return new Date(ms).toISOString();
}
