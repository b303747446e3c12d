import type { Logger } from '@aws-lambda-powertools/logger';
import { confirmAdmin } from '../../core/admin-check.ts';
import type { AdminDirectory } from '../../core/ports/admin-directory.ts';
import type { Clock } from '../../core/ports/clock.ts';
import type { JobQueue } from '../../core/ports/job-queue.ts';
import type { JobRepository } from '../../core/ports/job-repository.ts';
import type { Tier, TierSettings } from '../../core/tiers.ts';
import { queueOverview } from '../../core/use-cases/queue-overview.ts';
import { httpHandler, json, principalOf } from '../shared/http.ts';
import { createLogger } from '../shared/logger.ts';

/** `GET /admin/queues`: per-tier depth, in-flight, DLQ depth, oldest queued age and concurrency (admin claim only). */
export function createAdminQueuesHandler(deps: {
  jobs: JobRepository;
  queue: JobQueue;
  clock: Clock;
  tiers?: Readonly<Record<Tier, TierSettings>>;
  logger?: Logger;
  /** Confirms the admin claim (a demoted admin loses rights within a minute); absent = the claim stands. */
  adminDirectory?: AdminDirectory;
}) {
  const logger = deps.logger ?? createLogger('api');
  return httpHandler(logger, async (event) => json(200, await queueOverview(await confirmAdmin(principalOf(event), deps.adminDirectory), deps)));
}
