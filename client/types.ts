/**
 * Response and request types of the HTTP and WebSocket API, as the CLI and the web app see them. Plain types only
 * (no runtime code), so the browser bundle carries nothing from here. They mirror the server's views (the use cases
 * in lambdas/core/use-cases) and the OpenAPI document at GET /openapi.json.
 */

export type Tier = 'free' | 'basic' | 'pro';
export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type Timeframe = '1m' | '5m' | '15m' | '1h' | '1d';

/** RFC 9457 problem details, as every error response carries them. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldIssue[];
}

export interface FieldIssue {
  path: string;
  message: string;
}

export type ParamRange = { from: number; to: number; step: number };
export type ParamValue = number | boolean | number[] | ParamRange;
export type Sizing = 'all-in' | { units: number } | { fraction: number };

/** The body of POST /backtests (defaults filled in by the server when absent). */
export interface SubmitBody {
  strategyId: string;
  params?: Record<string, ParamValue>;
  symbol: string;
  timeframe?: Timeframe;
  startDate?: string;
  endDate?: string;
  initialCash?: number;
  commission?: number;
  slippageBps?: number;
  sizing?: Sizing;
  fractional?: boolean;
  sweep?: { metric?: string; top?: number };
}

/** The request as the server stored it, defaults applied. */
export type StoredRequest = Required<Omit<SubmitBody, 'startDate' | 'endDate' | 'sweep'>> & Pick<SubmitBody, 'startDate' | 'endDate' | 'sweep'>;

export interface SubmitResponse {
  jobId: string;
  status: JobStatus;
  tier: Tier;
  createdAt: string;
  combinations: number;
  links: { self: string };
  /** True when an earlier submit with the same Idempotency-Key and body created this job. */
  replayed: boolean;
}

/**
 * A value the engine computed as NaN or Infinity (a Sharpe ratio of a flat curve, a profit factor with no losing
 * trade) arrives as `null`: JSON has neither. Format every stat as possibly null.
 */
export interface Stats {
  start: string; end: string; bars: number; trades: number;
  equityFinal: number | null; equityPeak: number | null; returnPct: number | null; buyHoldReturnPct: number | null; cagrPct: number | null;
  volatilityAnnPct: number | null; sharpe: number | null; sortino: number | null; calmar: number | null; maxDrawdownPct: number | null;
  avgDrawdownPct: number | null; maxDrawdownDurationDays: number | null; winRatePct: number | null; bestTradePct: number | null;
  worstTradePct: number | null; avgTradePct: number | null; profitFactor: number | null; expectancyPct: number | null; exposurePct: number | null;
}

export interface Trade {
  side: 'long' | 'short';
  size: number;
  entryTime: string;
  exitTime: string;
  entryPrice: number;
  exitPrice: number;
  pnl: number;
  returnPct: number | null;
}

export interface SweepRow {
  params: Record<string, number | boolean>;
  stats: Stats;
}

export interface JobLinks {
  self: string;
  /** Present once the job succeeded. */
  equity?: string;
  trades?: string;
  /** Present once a sweep succeeded. */
  sweep?: string;
}

export interface JobError {
  code: string;
  message: string;
}

/** The result part of the small job view: summary stats and the best parameters, never the curve or the trades. */
export interface ResultSummaryView {
  params: Record<string, number | boolean>;
  stats: Stats;
  tradesTotal: number;
  sweep?: { metric: string; combinations: number; top: SweepRow[] };
  /** The engine version and the SHA-256 of the bars the run saw (full view only). */
  provenance?: { engineVersion: string; barsSha256: string };
}

/** GET /backtests/{jobId}: a few KB; the full result lives at the `links`. */
export interface JobView {
  jobId: string;
  /** The owner (an admin may read other users' jobs). */
  userId: string;
  creditsCharged: number;
  tier: Tier;
  status: JobStatus;
  /** 0..1 */
  progress: number;
  message: string;
  attempts: number;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  finishedAt?: string;
  request: StoredRequest;
  combinations: number;
  cancelRequested?: boolean;
  error?: JobError;
  /** Jobs ahead of this one in its tier's queue, while queued (when the server reports it). */
  queuePosition?: number;
  etaSeconds?: number;
  result?: ResultSummaryView;
  links: JobLinks;
}

/** An item of GET /backtests (and a WebSocket snapshot): the job view without the owner and the sweep's top table. */
export type JobListItem = Omit<JobView, 'result' | 'userId' | 'creditsCharged'> & { result?: Omit<ResultSummaryView, 'sweep'> };

export interface JobPage {
  items: JobListItem[];
  nextCursor: string | null;
}

/** DELETE /backtests/{jobId} answers 202 with the job as it now is (cancelled, or cancelRequested while running). */
export type CancelResponse = JobListItem;

export interface EquityView {
  /** epoch ms */
  time: number[];
  equity: number[];
  /** percent, <= 0 */
  drawdownPct: number[];
}

export interface TradesPage {
  items: Trade[];
  nextCursor: string | null;
  /** Trades the run made. */
  total: number;
  /** Trades kept with the job (the list is capped); pages run over these. */
  stored: number;
}

export interface SweepGrid {
  /** The two parameters that vary: rows over params[0], columns over params[1]. */
  params: [string, string];
  values: Record<string, number[]>;
  /** Row-major metric values; null where the combination was skipped (a cross-parameter rule) or not a number. */
  metric: (number | null)[];
}

export interface SweepView {
  metric: string;
  combinations: number;
  top: SweepRow[];
  grid?: SweepGrid;
}

export interface MeView {
  userId: string;
  tier: Tier;
  admin: boolean;
  credits: number;
  creditsPerJob: number;
  submissionsToday: number;
  /** null = unlimited */
  dailyLimit: number | null;
  /** ISO UTC, the next 00:00Z */
  dailyResetAt: string;
  limits: { maxCombinations: number; maxBarEvaluations: number };
}

/** JSON Schema (draft 2020-12) of a strategy's parameters. */
export interface ParamsJsonSchema {
  type: 'object';
  properties: Record<string, { type: 'integer' | 'number' | 'boolean'; default?: number | boolean; minimum?: number; maximum?: number; description?: string }>;
  additionalProperties: false;
  [key: string]: unknown;
}

export interface StrategyView {
  id: string;
  name: string;
  /** One line. */
  description: string;
  /** The full description (entry and exit rules). */
  details: string;
  parameters: ParamsJsonSchema;
}

export interface StrategiesView {
  items: StrategyView[];
}

export interface SymbolView {
  symbol: string;
  timeframe: Timeframe;
  /** YYYY-MM-DD for daily data, ISO UTC otherwise */
  firstBar: string;
  lastBar: string;
  bars: number;
  source: 'csv' | 's3';
}

export interface SymbolsPage {
  items: SymbolView[];
  synthetic: { pattern: string; timeframes: Timeframe[]; description: string };
  nextCursor: string | null;
}

export interface TierOverview {
  tier: Tier;
  waiting: number;
  inFlight: number;
  deadLettered: number;
  oldestQueuedAgeSeconds: number | null;
  maxConcurrency: number;
}

export interface QueuesView {
  at: string;
  tiers: TierOverview[];
}

export interface UserAccountView {
  userId: string;
  tier: Tier;
  credits: number;
  hasAccount: boolean;
  day: string;
  submissionsToday: number;
  dailyLimit: number | null;
}

export interface CreditsResponse {
  userId: string;
  credits: number;
  amount: number;
}

export interface TierResponse {
  userId: string;
  tier: Tier;
  previousTier: Tier;
}

/** The OpenAPI 3.1 document (its shape is the OpenAPI specification's). */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; [key: string]: unknown };
  paths: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
}

/** Messages the WebSocket sends. */
export type ProgressMessage =
  | { type: 'snapshot'; job: JobListItem & { positionAt?: string } }
  | {
      type: 'progress';
      jobId: string;
      status: JobStatus;
      progress: number;
      message: string;
      at: string;
      queuePosition?: number;
      /**
       * With queuePosition (and on a queued job's snapshot): when the queue was read for it. Queue refreshes can
       * arrive out of order with the same `at`; apply a place only if its positionAt is not older than the last applied.
       */
      positionAt?: string;
      etaSeconds?: number;
      result?: Omit<ResultSummaryView, 'sweep'>;
      error?: JobError;
    }
  | { type: 'error'; code: string; jobId?: string; message?: string };
