/**
 * The typed HTTP client the CLI and the web app share. No Node-only imports: it runs in the browser and in Node 24
 * on the global fetch. Every method resolves with the parsed JSON body of a 2xx answer; anything else throws an
 * ApiError carrying the problem+json body, and a request that never got an answer throws ApiUnreachableError.
 */
import type {
  CancelResponse,
  CreditsResponse,
  EquityView,
  FieldIssue,
  JobPage,
  JobStatus,
  JobView,
  MeView,
  OpenApiDocument,
  Problem,
  QueuesView,
  StrategiesView,
  SubmitBody,
  SubmitResponse,
  SweepView,
  SymbolsPage,
  Tier,
  TierResponse,
  TradesPage,
  UserAccountView,
} from './types.ts';
import type { BoardsView, CopyBody, LeaderboardPage, PublishResponse, RankMetric, UnpublishResponse } from './leaderboard-types.ts';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface ApiClientOptions {
  /** The HTTP API's base URL, e.g. `http://127.0.0.1:3000` or the stage URL on AWS (a trailing slash is fine). */
  baseUrl: string;
  /** The bearer token, or a function read on every request (so a refreshed token is picked up). */
  token: string | (() => string | undefined);
  /** @default globalThis.fetch */
  fetch?: FetchLike;
}

/** The API answered with a non-2xx status. */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  /** The problem+json body; synthesized from the status when the body was not problem JSON (a proxy's HTML page). */
  readonly problem: Problem;
  /** Field-level issues of a validation error (empty otherwise). */
  readonly fieldErrors: FieldIssue[];
  /** Seconds from a Retry-After header (429, 503), when present. */
  readonly retryAfterSeconds: number | undefined;
  constructor(status: number, problem: Problem, retryAfterSeconds?: number) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
    this.status = status;
    this.problem = problem;
    this.fieldErrors = problem.errors ?? [];
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** No HTTP answer at all: connection refused, DNS failure, TLS error, CORS refusal in a browser. */
export class ApiUnreachableError extends Error {
  override name = 'ApiUnreachableError';
  readonly url: string;
  constructor(url: string, options?: { cause?: unknown }) {
    super(`Cannot reach the backtest API at ${url}`, options);
    this.url = url;
  }
}

export interface ApiClient {
  me(): Promise<MeView>;
  strategies(): Promise<StrategiesView>;
  symbols(query?: { limit?: number; cursor?: string }): Promise<SymbolsPage>;
  submit(body: SubmitBody, options?: { idempotencyKey?: string }): Promise<SubmitResponse>;
  getJob(jobId: string): Promise<JobView>;
  listJobs(query?: { limit?: number; cursor?: string; status?: JobStatus }): Promise<JobPage>;
  cancel(jobId: string): Promise<CancelResponse>;
  equity(jobId: string): Promise<EquityView>;
  trades(jobId: string, query?: { cursor?: string; limit?: number }): Promise<TradesPage>;
  sweep(jobId: string): Promise<SweepView>;
  adminQueues(): Promise<QueuesView>;
  adminUser(userId: string): Promise<UserAccountView>;
  adminCredits(userId: string, amount: number): Promise<CreditsResponse>;
  adminTier(userId: string, tier: Tier): Promise<TierResponse>;
  openapi(): Promise<OpenApiDocument>;
  /** Leaderboard (docs/leaderboard.md). */
  leaderboards(): Promise<BoardsView>;
  leaderboard(board: string, query?: { metric?: RankMetric; cursor?: string; limit?: number }): Promise<LeaderboardPage>;
  publish(jobId: string, body: { board: string; displayName: string }): Promise<PublishResponse>;
  unpublish(jobId: string, board: string): Promise<UnpublishResponse>;
  copyEntry(board: string, entryId: string, body?: CopyBody, options?: { idempotencyKey?: string }): Promise<SubmitResponse>;
}

type Query = Record<string, string | number | undefined>;

function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}

const seg = (value: string): string => encodeURIComponent(value);

/** The `exp` claim of a JWT (epoch seconds), read without verifying it: only to explain a 401. */
export function tokenExpiry(token: string | undefined): number | undefined {
  const payload = token?.split('.')[1];
  if (!payload) return undefined;
  try {
    const json = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '='))) as { exp?: unknown };
    return typeof json.exp === 'number' ? json.exp : undefined;
  } catch {
    return undefined;
  }
}

/**
 * On AWS the JWT authorizer answers a 401 itself, `{"message":"Unauthorized"}`, with the reason only in
 * WWW-Authenticate; the local gateway says when the token expired. Make both say the same: when the token we sent
 * has expired, the detail names the time (the caller can then ask for a new token instead of guessing).
 */
function explainUnauthorized(problem: Problem, token: string | undefined, wwwAuthenticate: string | null, nowMs: number): Problem {
  if (/expired/i.test(problem.detail)) return problem;
  const exp = tokenExpiry(token);
  if (exp !== undefined && exp * 1000 <= nowMs) {
    return { ...problem, detail: `The token expired at ${new Date(exp * 1000).toISOString().replace(/\.000Z$/, 'Z')} (UTC); get a new one` };
  }
  const reason = wwwAuthenticate?.match(/error_description="([^"]*)"/)?.[1];
  return reason ? { ...problem, detail: `The token was refused: ${reason}` } : problem;
}

/** A problem body, or one made from the status when the answer was not problem JSON (so callers have one shape). */
function problemFrom(status: number, statusText: string, body: unknown): Problem {
  if (typeof body === 'object' && body !== null && typeof (body as Problem).title === 'string') {
    const p = body as Partial<Problem>;
    return {
      type: typeof p.type === 'string' ? p.type : 'about:blank',
      title: p.title!,
      status: typeof p.status === 'number' ? p.status : status,
      detail: typeof p.detail === 'string' ? p.detail : '',
      ...(Array.isArray(p.errors) ? { errors: p.errors } : {}),
    };
  }
  // API Gateway's own answers (its JWT authorizer's 401, throttling 429) are {"message": "..."}.
  const message = typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string' ? (body as { message: string }).message : '';
  return { type: 'about:blank', title: statusText || `HTTP ${status}`, status, detail: message };
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  const doFetch: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const tokenOf = typeof options.token === 'function' ? options.token : () => options.token as string;

  async function request<T>(method: string, path: string, init: { query?: Query; body?: unknown; headers?: Record<string, string>; auth?: boolean } = {}): Promise<T> {
    const url = `${base}${path}${queryString(init.query)}`;
    const headers: Record<string, string> = { Accept: 'application/json', ...init.headers };
    const token = init.auth !== false ? tokenOf() : undefined;
    if (token) headers.Authorization = `Bearer ${token}`;
    if (init.body !== undefined) headers['Content-Type'] = 'application/json';
    let response: Response;
    try {
      response = await doFetch(url, { method, headers, ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}) });
    } catch (error) {
      throw new ApiUnreachableError(url, { cause: error });
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!response.ok) {
      const retryAfter = response.headers.get('Retry-After');
      const seconds = retryAfter !== null && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined;
      let problem = problemFrom(response.status, response.statusText, body);
      if (response.status === 401) problem = explainUnauthorized(problem, token, response.headers.get('WWW-Authenticate'), Date.now());
      throw new ApiError(response.status, problem, seconds);
    }
    if (body === undefined) throw new ApiError(response.status, { type: 'about:blank', title: 'Unreadable response', status: response.status, detail: `${method} ${url} did not answer with JSON` });
    return body as T;
  }

  return {
    me: () => request('GET', '/me'),
    strategies: () => request('GET', '/strategies'),
    symbols: (query = {}) => request('GET', '/symbols', { query: { limit: query.limit, cursor: query.cursor } }),
    submit: (body, opts = {}) =>
      request('POST', '/backtests', { body, ...(opts.idempotencyKey !== undefined ? { headers: { 'Idempotency-Key': opts.idempotencyKey } } : {}) }),
    getJob: (jobId) => request('GET', `/backtests/${seg(jobId)}`),
    listJobs: (query = {}) => request('GET', '/backtests', { query: { limit: query.limit, cursor: query.cursor, status: query.status } }),
    cancel: (jobId) => request('DELETE', `/backtests/${seg(jobId)}`),
    equity: (jobId) => request('GET', `/backtests/${seg(jobId)}/equity`),
    trades: (jobId, query = {}) => request('GET', `/backtests/${seg(jobId)}/trades`, { query: { cursor: query.cursor, limit: query.limit } }),
    sweep: (jobId) => request('GET', `/backtests/${seg(jobId)}/sweep`),
    adminQueues: () => request('GET', '/admin/queues'),
    adminUser: (userId) => request('GET', `/admin/users/${seg(userId)}`),
    adminCredits: (userId, amount) => request('POST', `/admin/users/${seg(userId)}/credits`, { body: { amount } }),
    adminTier: (userId, tier) => request('PUT', `/admin/users/${seg(userId)}/tier`, { body: { tier } }),
    openapi: () => request('GET', '/openapi.json', { auth: false }),
    leaderboards: () => request('GET', '/leaderboards'),
    leaderboard: (board, query = {}) => request('GET', `/leaderboard/${seg(board)}`, { query: { metric: query.metric, cursor: query.cursor, limit: query.limit } }),
    publish: (jobId, body) => request('POST', `/backtests/${seg(jobId)}/publish`, { body }),
    unpublish: (jobId, board) => request('DELETE', `/backtests/${seg(jobId)}/publish`, { query: { board } }),
    copyEntry: (board, entryId, body = {}, opts = {}) =>
      request('POST', `/leaderboard/${seg(board)}/entries/${seg(entryId)}/copy`, { body, ...(opts.idempotencyKey !== undefined ? { headers: { 'Idempotency-Key': opts.idempotencyKey } } : {}) }),
  };
}
