import { join } from 'node:path';

/**
 * Absolute paths of the Lambda entry points, exactly as docs/wiring.md lists them. Kept in one place so the
 * constructs, the infra tests (which check every entry exists) and the docs cannot disagree.
 */
export const REPO_ROOT = join(import.meta.dirname, '..');

const handler = (relative: string): string => join(REPO_ROOT, 'lambdas', 'handlers', relative);

export const HANDLER_ENTRIES = {
  submit: handler('api/submit.ts'),
  getJob: handler('api/get-job.ts'),
  listJobs: handler('api/list-jobs.ts'),
  cancelJob: handler('api/cancel-job.ts'),
  adminQueues: handler('api/admin-queues.ts'),
  adminUser: handler('api/admin-user.ts'),
  adminCredits: handler('api/admin-credits.ts'),
  adminTier: handler('api/admin-tier.ts'),
  me: handler('api/me.ts'),
  strategies: handler('api/strategies.ts'),
  symbols: handler('api/symbols.ts'),
  jobEquity: handler('api/job-equity.ts'),
  jobTrades: handler('api/job-trades.ts'),
  jobSweep: handler('api/job-sweep.ts'),
  openapi: handler('api/openapi.ts'),
  myLedger: handler('api/my-ledger.ts'),
  adminUserLedger: handler('api/admin-user-ledger.ts'),
  leaderboards: handler('api/leaderboards.ts'),
  leaderboard: handler('api/leaderboard.ts'),
  publishEntry: handler('api/publish-entry.ts'),
  unpublishEntry: handler('api/unpublish-entry.ts'),
  copyEntry: handler('api/copy-entry.ts'),
  leaderboardRecorder: handler('stream/leaderboard-recorder.ts'),
  worker: handler('worker/worker.ts'),
  progressNotifier: handler('stream/progress-notifier.ts'),
  wsAuthorizer: handler('ws/authorizer.ts'),
  wsConnect: handler('ws/connect.ts'),
  wsDisconnect: handler('ws/disconnect.ts'),
  wsMessage: handler('ws/message.ts'),
  requeueStuck: handler('sweeper/requeue-stuck.ts'),
  preTokenGeneration: handler('auth/pre-token-generation.ts'),
} as const;

export type HandlerName = keyof typeof HANDLER_ENTRIES;
