/**
 * Where a pushed leaderboard entry goes among the rows a board view shows: the order of the board's index, so a row
 * placed here stands where the next read of the board would put it. No DOM, so it is tested in Node.
 */
import type { LeaderboardEntryView, RankMetric } from '../../client/leaderboard-types.ts';

const METRIC_STATS: Record<RankMetric, 'sharpe' | 'returnPct' | 'maxDrawdownPct' | 'sortino' | 'calmar'> = {
  sharpe: 'sharpe',
  return: 'returnPct',
  maxDrawdown: 'maxDrawdownPct',
  sortino: 'sortino',
  calmar: 'calmar',
};

/**
 * Whether `a` ranks before `b` on `metric`, as the board's index orders them (docs/leaderboard.md, Ranking): the higher
 * out-of-sample value first (a value that is not a number last), then the earlier publication, then the entry id.
 */
export function ranksBefore(a: LeaderboardEntryView, b: LeaderboardEntryView, metric: RankMetric): boolean {
  const va = a.outOfSample.stats[METRIC_STATS[metric]] as unknown;
  const vb = b.outOfSample.stats[METRIC_STATS[metric]] as unknown;
  const fa = typeof va === 'number' && Number.isFinite(va);
  const fb = typeof vb === 'number' && Number.isFinite(vb);
  if (fa !== fb) return fa;
  if (fa && fb && va !== vb) return (va as number) > (vb as number);
  if (a.publishedAt !== b.publishedAt) return a.publishedAt < b.publishedAt;
  return a.entryId < b.entryId;
}
