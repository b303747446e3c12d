/**
 * Leaderboard shapes as the API serves them (lambdas/core/leaderboard-schemas.ts is the server's side; the client
 * package keeps no import of the server code so it runs in the browser). docs/leaderboard.md explains each number.
 */
import type { Sizing, Stats } from './types.ts';

export type RankMetric = 'sharpe' | 'return' | 'maxDrawdown' | 'sortino' | 'calmar';

export interface DateWindow {
  startDate: string;
  endDate: string;
}

export interface BoardView {
  id: string;
  title: string;
  symbol: string;
  timeframe: string;
  inSample: DateWindow;
  outOfSample: DateWindow;
  links: { self: string };
}

export interface BoardsView {
  boards: BoardView[];
  metrics: RankMetric[];
  defaultMetric: RankMetric;
}

export interface LeaderboardEntryView {
  entryId: string;
  board: string;
  displayName: string;
  strategyId: string;
  params: Record<string, number | boolean>;
  costs: { initialCash: number; commission: number; slippageBps: number; sizing: Sizing; fractional: boolean };
  publishedAt: string;
  engineVersion: string;
  inSample: DateWindow & { stats: Stats; barsSha256: string };
  outOfSample: DateWindow & { stats: Stats; barsSha256: string };
  gap: { sharpe: number | null; returnPct: number | null; cagrPct: number | null; maxDrawdownPct: number | null };
  deflatedSharpe: {
    probability: number | null;
    sharpe: number | null;
    expectedMaxSharpe: number;
    trials: number;
    observations: number;
    skewness: number | null;
    kurtosis: number | null;
    varianceBasis: 'all' | 'top' | 'single';
  };
  /** Position on the page's metric, 1 = best. */
  rank?: number;
}

export interface LeaderboardPage {
  board: Omit<BoardView, 'links'>;
  metric: RankMetric;
  items: LeaderboardEntryView[];
  nextCursor: string | null;
}

export interface PublishResponse {
  board: string;
  status: 'pending';
  outOfSampleJobId: string;
  links: { job: string; board: string };
}

export interface UnpublishResponse {
  board: string;
  removed: true;
}

/** What a copy may change: where it runs. */
export interface CopyBody {
  symbol?: string;
  startDate?: string;
  endDate?: string;
}

/** The WebSocket frame a board watcher receives when an entry lands. */
export interface LeaderboardMessage {
  type: 'leaderboard';
  board: string;
  entry: LeaderboardEntryView;
}
