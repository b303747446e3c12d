import { createHash } from 'node:crypto';
import type { Stats } from '../../engine/types.ts';
import type { FieldIssue } from './errors.ts';
import type { SubmitRequest } from './submit-schema.ts';

/**
 * The metrics a board can be ranked by, each read from the out-of-sample stats. All are "higher is better"
 * (maximum drawdown is negative, so the shallowest ranks first). Each has its own index (table-schema.ts).
 */
export const RANK_METRICS = {
  sharpe: { stat: 'sharpe', attribute: 'rankSharpe', index: 'byRankSharpe' },
  return: { stat: 'returnPct', attribute: 'rankReturn', index: 'byRankReturn' },
  maxDrawdown: { stat: 'maxDrawdownPct', attribute: 'rankMaxDrawdown', index: 'byRankMaxDrawdown' },
  sortino: { stat: 'sortino', attribute: 'rankSortino', index: 'byRankSortino' },
  calmar: { stat: 'calmar', attribute: 'rankCalmar', index: 'byRankCalmar' },
} as const satisfies Record<string, { stat: keyof Stats; attribute: string; index: string }>;

export type RankMetric = keyof typeof RANK_METRICS;
export const RANK_METRIC_NAMES = Object.keys(RANK_METRICS) as RankMetric[];
export const DEFAULT_RANK_METRIC: RankMetric = 'sharpe';

export function isRankMetric(value: unknown): value is RankMetric {
  return typeof value === 'string' && Object.hasOwn(RANK_METRICS, value);
}

/** The stats an entry shows for each period (the whole engine stats minus nothing: they are small). */
export type EntryStats = Stats;

/** The costs and sizing of the published job, carried to the out-of-sample run and to every copy. */
export type EntryCosts = Pick<SubmitRequest, 'initialCash' | 'commission' | 'slippageBps' | 'sizing' | 'fractional'>;

export interface EntryDeflatedSharpe {
  probability: number | null;
  /** Per-period (daily) Sharpe of the in-sample winner, and the best-of-N benchmark it is deflated by. */
  sharpe: number;
  expectedMaxSharpe: number;
  trials: number;
  observations: number;
  skewness: number;
  kurtosis: number;
  /** `all`: every trial's Sharpe was known; `top`: only the stored top rows (the variance, hence SR0, is understated). */
  varianceBasis: 'all' | 'top' | 'single';
}

/** One published strategy on a board, as everyone sees it: no user id, only the display name. */
export interface LeaderboardEntry {
  entryId: string;
  board: string;
  displayName: string;
  strategyId: string;
  params: Record<string, number | boolean>;
  costs: EntryCosts;
  publishedAt: string;
  engineVersion: string;
  inSample: { startDate: string; endDate: string; stats: EntryStats; barsSha256: string };
  outOfSample: { startDate: string; endDate: string; stats: EntryStats; barsSha256: string };
  /** Out-of-sample minus in-sample, for the headline metrics: how much of the in-sample result survived. */
  gap: { sharpe: number | null; returnPct: number | null; cagrPct: number | null; maxDrawdownPct: number | null };
  deflatedSharpe: EntryDeflatedSharpe;
}

export function entryGap(inSample: Stats, outOfSample: Stats): LeaderboardEntry['gap'] {
  const diff = (a: number, b: number): number | null => (Number.isFinite(a) && Number.isFinite(b) ? b - a : null);
  return {
    sharpe: diff(inSample.sharpe, outOfSample.sharpe),
    returnPct: diff(inSample.returnPct, outOfSample.returnPct),
    cagrPct: diff(inSample.cagrPct, outOfSample.cagrPct),
    maxDrawdownPct: diff(inSample.maxDrawdownPct, outOfSample.maxDrawdownPct),
  };
}

/**
 * Who owns an entry, as the store keys it: a hash of user and strategy (one entry per user, strategy and board), so
 * the user id is never stored in anything the board reads back.
 */
export function ownerKey(userId: string, strategyId: string): string {
  return createHash('sha256').update(`${userId}\n${strategyId}`).digest('hex').slice(0, 32);
}

/**
 * The sort key of an entry on one metric's index: ascending string order is rank order. The metric value first
 * (descending: the order-preserving bits of -value as hex), then the publication time (earlier first), then the entry
 * id, so every key is unique and ties are broken the same way on every page. A value that is not finite (no trades:
 * no Sharpe) ranks after every number.
 */
export function rankKey(value: number, publishedAt: string, entryId: string): string {
  return `${Number.isFinite(value) ? sortableHex(-value) : 'z'}#${publishedAt}#${entryId}`;
}

/** 16 hex digits whose string order is the numeric order of the double (sign bit flipped, or all bits for negatives). */
function sortableHex(value: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value === 0 ? 0 : value); // -0 and 0 sort together
  let hi = view.getUint32(0);
  let lo = view.getUint32(4);
  if (hi & 0x80000000) {
    hi = ~hi >>> 0;
    lo = ~lo >>> 0;
  } else {
    hi = (hi | 0x80000000) >>> 0;
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

export function rankValue(entry: Pick<LeaderboardEntry, 'outOfSample'>, metric: RankMetric): number {
  return entry.outOfSample.stats[RANK_METRICS[metric].stat] as number;
}

/** Whether `candidate` should replace `current` for the same owner: a higher out-of-sample Sharpe (the default metric). */
export function isBetter(candidate: LeaderboardEntry, current: LeaderboardEntry): boolean {
  const a = rankKey(rankValue(candidate, DEFAULT_RANK_METRIC), '', '');
  const b = rankKey(rankValue(current, DEFAULT_RANK_METRIC), '', '');
  return a < b;
}

const RESERVED_WORDS = ['admin', 'administrator', 'backtest', 'backtestqueue', 'moderator', 'mod', 'official', 'staff', 'support', 'system', 'root', 'service', 'operator', 'leaderboard', 'anonymous', 'null', 'undefined', 'deleted', 'unknown'];

/**
 * Checks a display name: 3-32 characters, letters, digits, space, `_`, `.` and `-`, starting and ending with a letter
 * or digit, no double spaces, and not a name that could pass for the service (admin, official, support, ...: as the
 * whole name, or as its first or last word, in any case and with any separators).
 */
export function displayNameIssues(name: string): FieldIssue[] {
  const path = 'displayName';
  if (name.length < 3 || name.length > 32) return [{ path, message: 'must be 3-32 characters' }];
  if (!/^[\p{L}\p{N}][\p{L}\p{N} _.-]*[\p{L}\p{N}]$/u.test(name)) {
    return [{ path, message: 'may hold letters, digits, spaces, _ . and -, and must start and end with a letter or digit' }];
  }
  if (/\s\s/.test(name)) return [{ path, message: 'must not hold two spaces in a row' }];
  const words = name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[\s_.-]+/)
    .filter(Boolean);
  const joined = words.join('');
  const reserved = RESERVED_WORDS.find((w) => joined === w || words[0] === w || words[words.length - 1] === w);
  if (reserved !== undefined) return [{ path, message: `is reserved for the service ("${reserved}"); choose another name` }];
  return [];
}
