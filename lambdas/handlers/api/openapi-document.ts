import * as z from '../../../engine/zod-mini.ts';
import { httpRouteList, type HttpRouteId } from '../../../lib/definitions/http-routes.ts';
import {
  compactJobSchema,
  creditsResponseSchema,
  equitySchema,
  jobPageSchema,
  jobViewSchema,
  meSchema,
  problemSchema,
  queuesSchema,
  strategiesSchema,
  submitEstimateSchema,
  submitResponseSchema,
  sweepViewSchema,
  symbolsPageSchema,
  tierResponseSchema,
  tradesPageSchema,
  userAccountSchema,
} from '../../core/api-schemas.ts';
import { JOB_STATUSES } from '../../core/job.ts';
import { ledgerPageSchema } from '../../core/ledger-schema.ts';
import { boardsResponseSchema, leaderboardPageSchema, publishResponseSchema, unpublishResponseSchema } from '../../core/leaderboard-schemas.ts';
import { RANK_METRIC_NAMES } from '../../core/leaderboard-entry.ts';
import { copyBodySchema } from '../../core/use-cases/copy-entry.ts';
import { publishBodySchema } from '../../core/use-cases/publish-entry.ts';
import { MAX_LEADERBOARD_PAGE_SIZE } from '../../core/use-cases/read-leaderboard.ts';
import { submitRequestSchema } from '../../core/submit-schema.ts';
import { creditsBodySchema, tierBodySchema } from '../../core/use-cases/admin-users.ts';
import { MAX_PAGE_SIZE } from '../../core/use-cases/read-jobs.ts';
import { MAX_TRADES_PAGE } from '../../core/use-cases/result-views.ts';
import { MAX_SYMBOLS_PAGE } from '../../core/use-cases/symbols.ts';

interface QueryParameter {
  name: string;
  description: string;
  schema: Record<string, unknown>;
}

/** What the route table does not say about a route: its request and response shapes and its refusals. */
interface OperationSpec {
  description?: string;
  query?: QueryParameter[];
  headers?: QueryParameter[];
  body?: z.ZodMiniType;
  /** The success status and its body. */
  success: { status: number; description: string; schema: z.ZodMiniType };
  /** Another success status of the same operation (a query parameter's variant, such as a dry run). */
  alsoSuccess?: { status: number; description: string; schema: z.ZodMiniType };
  /** Error statuses besides 401 (every authorized route) and 500. */
  errors: number[];
}

const cursor = (what: string): QueryParameter => ({ name: 'cursor', description: `the nextCursor of the previous page of ${what}`, schema: { type: 'string' } });
const limit = (max: number): QueryParameter => ({ name: 'limit', description: `page size, 1-${max}`, schema: { type: 'integer', minimum: 1, maximum: max } });

/**
 * One entry per route id of lib/definitions/http-routes.ts: a Record over every id, so a route added to the table
 * without its shapes here does not compile (and test/handlers/openapi.test.ts checks the document has every route).
 */
const OPERATIONS: Record<HttpRouteId, OperationSpec> = {
  submit: {
    description: 'Unknown keys are refused. An unknown symbol, a timeframe the symbol lacks, or dates outside its data are a 400 naming the field and what exists.',
    headers: [{ name: 'Idempotency-Key', description: 'replays the job of an earlier submit with the same key and body for 24 h', schema: { type: 'string', maxLength: 128 } }],
    body: submitRequestSchema,
    query: [{ name: 'dryRun', description: 'true: answer the work (combinations, bar evaluations, chunks), credits and ETA with 200, and create and charge nothing', schema: { type: 'string', enum: ['true', 'false'] } }],
    success: { status: 202, description: 'queued (or replayed); Location names the job', schema: submitResponseSchema },
    alsoSuccess: { status: 200, description: 'dryRun=true: the estimate; nothing was created or charged', schema: submitEstimateSchema },
    errors: [400, 402, 413, 422, 429, 503],
  },
  listJobs: {
    query: [limit(MAX_PAGE_SIZE), cursor('jobs'), { name: 'status', description: 'only jobs in this status', schema: { type: 'string', enum: [...JOB_STATUSES] } }],
    success: { status: 200, description: "the caller's jobs, newest first", schema: jobPageSchema },
    errors: [400],
  },
  getJob: {
    description: 'A few KB: status, progress, summary stats, the best parameters and a sweep\'s top rows. The curve, trades and sweep grid are at `links`.',
    success: { status: 200, description: 'the job', schema: jobViewSchema },
    errors: [404],
  },
  cancelJob: {
    success: { status: 202, description: 'cancelled (queued job) or cancelRequested (running job)', schema: compactJobSchema },
    errors: [404, 409],
  },
  adminQueues: { success: { status: 200, description: 'per-tier queue state', schema: queuesSchema }, errors: [403] },
  adminUser: { success: { status: 200, description: "the user's account", schema: userAccountSchema }, errors: [400, 403] },
  adminCredits: { body: creditsBodySchema, success: { status: 200, description: 'the new balance', schema: creditsResponseSchema }, errors: [400, 403] },
  adminTier: { body: tierBodySchema, success: { status: 200, description: 'the tier of the next token', schema: tierResponseSchema }, errors: [400, 403] },
  me: { success: { status: 200, description: "the caller's account and limits", schema: meSchema }, errors: [] },
  strategies: { success: { status: 200, description: 'the strategies', schema: strategiesSchema }, errors: [] },
  symbols: {
    query: [limit(MAX_SYMBOLS_PAGE), cursor('symbols')],
    success: { status: 200, description: 'data sets by symbol and timeframe', schema: symbolsPageSchema },
    errors: [400],
  },
  jobEquity: {
    success: { status: 200, description: 'the stored equity curve (at most 500 points) and its drawdown', schema: equitySchema },
    errors: [404, 409],
  },
  jobTrades: {
    query: [limit(MAX_TRADES_PAGE), cursor('trades')],
    success: { status: 200, description: 'a page of the stored trades (the first 1,000 of the run)', schema: tradesPageSchema },
    errors: [400, 404, 409],
  },
  jobSweep: {
    success: { status: 200, description: 'the ranking and, for two varying parameters, the grid', schema: sweepViewSchema },
    errors: [404, 409],
  },
  myLedger: {
    query: [limit(1000), cursor('ledger entries')],
    success: { status: 200, description: "the caller's credit movements and tier changes, newest first", schema: ledgerPageSchema },
    errors: [400],
  },
  adminUserLedger: {
    query: [limit(1000), cursor('ledger entries')],
    success: { status: 200, description: "the user's credits ledger", schema: ledgerPageSchema },
    errors: [400, 403],
  },
  openapi: { success: { status: 200, description: 'this document', schema: z.looseObject({ openapi: z.string() }) }, errors: [] },
  leaderboards: { success: { status: 200, description: 'every board with its windows, and the metrics a board can be ranked by', schema: boardsResponseSchema }, errors: [] },
  leaderboard: {
    description: 'Entries ranked by an out-of-sample metric, best first; ties go to the earlier publication, then the entry id (docs/leaderboard.md). Pages are keyset pages: entries published meanwhile never repeat or skip one.',
    query: [
      { name: 'metric', description: 'the out-of-sample metric to rank by (default sharpe)', schema: { type: 'string', enum: RANK_METRIC_NAMES } },
      cursor('entries'),
      limit(MAX_LEADERBOARD_PAGE_SIZE),
    ],
    success: { status: 200, description: 'a page of the board', schema: leaderboardPageSchema },
    errors: [400, 404],
  },
  publish: {
    description: "The caller's succeeded job, run on exactly the board's symbol, timeframe and in-sample window (a 400 names each field that differs). Its parameters (a sweep's best) are re-run on the out-of-sample window as the caller's own job, charged like any submit; the entry appears when that job succeeds.",
    body: publishBodySchema,
    success: { status: 202, description: 'the out-of-sample job is queued; Location names it', schema: publishResponseSchema },
    errors: [400, 402, 404, 409, 429, 503],
  },
  unpublish: {
    query: [{ name: 'board', description: 'the board to leave', schema: { type: 'string' } }],
    success: { status: 200, description: "the caller's entry for this job's strategy is gone from the board", schema: unpublishResponseSchema },
    errors: [400, 404],
  },
  copyEntry: {
    description: "Submits the entry's strategy, parameters and costs as the caller's own job (on the board's out-of-sample window unless the body says otherwise), validated, charged and limited like any submit.",
    headers: [{ name: 'Idempotency-Key', description: 'as for POST /backtests', schema: { type: 'string', maxLength: 128 } }],
    body: copyBodySchema,
    success: { status: 202, description: 'queued; Location names the job', schema: submitResponseSchema },
    errors: [400, 402, 404, 422, 429, 503],
  },
};

const ERROR_TEXT: Record<number, string> = {
  400: 'invalid request: `errors` names each field',
  401: 'missing, invalid or expired token',
  402: 'not enough credits',
  403: 'not allowed (admin only)',
  404: 'no such job for this caller (or no such sub-resource)',
  409: 'the job is not in a state that allows this (e.g. its result does not exist yet)',
  413: 'body too large',
  422: 'Idempotency-Key reused with a different body',
  429: 'daily limit reached: the detail names the reset time (UTC); Retry-After in seconds',
  500: 'failure on the service side',
  503: 'a dependency is unavailable; retry (Retry-After)',
};

function jsonSchema(schema: z.ZodMiniType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

const problemContent = () => ({ 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } });

/**
 * The OpenAPI 3.1 document of the HTTP API: paths from the route table, shapes from the same zod schemas the
 * use cases validate with (requests, as `input`) and the response schemas (as `output`).
 */
export function openApiDocument(options: { serverUrl?: string } = {}): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { id, route } of httpRouteList()) {
    const op = OPERATIONS[id];
    const open = route.auth === 'none';
    const pathParams = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const parameters = [
      ...pathParams,
      ...(op.query ?? []).map((q) => ({ name: q.name, in: 'query', required: false, description: q.description, schema: q.schema })),
      ...(op.headers ?? []).map((h) => ({ name: h.name, in: 'header', required: false, description: h.description, schema: h.schema })),
    ];
    const responses: Record<string, unknown> = {
      [String(op.success.status)]: { description: op.success.description, content: { 'application/json': { schema: jsonSchema(op.success.schema, 'output') } } },
      ...(op.alsoSuccess
        ? { [String(op.alsoSuccess.status)]: { description: op.alsoSuccess.description, content: { 'application/json': { schema: jsonSchema(op.alsoSuccess.schema, 'output') } } } }
        : {}),
    };
    for (const status of [...op.errors, ...(open ? [] : [401]), 500].sort((a, b) => a - b)) {
      responses[String(status)] = { description: ERROR_TEXT[status] ?? 'error', content: problemContent() };
    }
    paths[route.path] ??= {};
    paths[route.path][route.method.toLowerCase()] = {
      operationId: id,
      summary: route.summary,
      ...(op.description ? { description: op.description } : {}),
      ...(open ? { security: [] } : {}),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body, 'input') } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Backtest queue API',
      version: '1',
      description: 'Submit backtests and parameter sweeps, follow them, read their results. Live progress is on the WebSocket API (not described here).',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    security: [{ bearerAuth: [] }],
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Problem: jsonSchema(problemSchema, 'output') },
    },
    paths,
  };
}
