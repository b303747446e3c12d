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

const PAD2 = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
// "HH:MM:00.000Z" for every minute of a day: a minute-aligned timestamp becomes one concatenation of two existing
// strings, which keeps a result with hundreds of thousands of trades light on the garbage collector.
const MINUTES = Array.from({ length: 1440 }, (_, i) => `${PAD2[Math.floor(i / 60)]}:${PAD2[i % 60]}:00.000Z`);
// "-MM-DDT" for month m (1-12) and day d (1-31) at index m * 32 + d.
const MONTH_DAY = Array.from({ length: 13 * 32 }, (_, i) => `-${PAD2[i >> 5]}-${PAD2[i & 31]}T`);
const YEARS: string[] = [];
/** First and last ms that Date#toISOString prints with a four-digit year (0000-01-01 to 9999-12-31). */
const FAST_MIN = -62_167_219_200_000;
const FAST_END = 253_402_300_800_000;
let cachedDay = Number.NaN;
let cachedPrefix = '';

function yearString(y: number): string {
  let s = YEARS[y];
  if (s === undefined) {
    s = String(y).padStart(4, '0');
    YEARS[y] = s;
  }
  return s;
}

/**
 * "YYYY-MM-DDT" of a day number (days since 1970-01-01) by integer arithmetic: a Date object and its toISOString cost
 * about a microsecond, and a result with 200 000 trades over 40 years of minute bars touches 24 000 different days.
 * The proleptic Gregorian conversion of H. Hinnant's `civil_from_days`, shifted so every operand is non-negative.
 */
function dayPrefix(day: number): string {
  const z = day + 719_468; // days since 0000-03-01
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097; // day of the 400-year era, 0..146096
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100)); // day of the March-based year
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return yearString(y) + MONTH_DAY[m * 32 + d];
}

/**
 * ISO 8601 UTC with milliseconds, e.g. `2004-01-02T00:00:00.000Z`, identical to `Date#toISOString` (a test compares
 * them over many random times). A result can hold hundreds of thousands of trades; the date part comes from integer
 * arithmetic (cached for the last day seen) and the time from lookup tables, several times faster than a Date per call.
 */
export function toIso(ms: number): string {
  if (!(ms >= FAST_MIN && ms < FAST_END) || Math.floor(ms) !== ms) return new Date(ms).toISOString();
  const day = Math.floor(ms / DAY_MS);
  if (day !== cachedDay) {
    cachedDay = day;
    cachedPrefix = dayPrefix(day);
  }
  const rest = ms - day * DAY_MS; // 0..86 399 999: exact int32 arithmetic from here on
  const minute = (rest / 60_000) | 0;
  const inMinute = rest - minute * 60_000;
  if (inMinute === 0) return cachedPrefix + MINUTES[minute];
  const h = (minute / 60) | 0;
  const s = (inMinute / 1000) | 0;
  return `${cachedPrefix}${PAD2[h]}:${PAD2[minute - h * 60]}:${PAD2[s]}.${PAD3[inMinute - s * 1000]}Z`;
}
