import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import type { Clock } from '../../core/ports/clock.ts';
import type { JobQueue } from '../../core/ports/job-queue.ts';
import type { JobRepository } from '../../core/ports/job-repository.ts';
import { requeueStuckJobs, type SweepOptions, type SweepReport } from '../../core/use-cases/requeue-stuck-jobs.ts';
import { createLogger } from '../shared/logger.ts';

export interface RequeueStuckHandlerDeps extends SweepOptions {
  jobs: JobRepository;
  queue: JobQueue;
  clock: Clock;
  logger?: Logger;
}

/**
 * Scheduled (EventBridge rule on AWS, a timer locally): re-sends the message of jobs stuck `queued` without one.
 * A failed send is logged and retried on a later run; the function fails only if it cannot read the table, so the
 * schedule's own retry and the error alarm see real outages.
 */
export function createRequeueStuckHandler(deps: RequeueStuckHandlerDeps) {
  const logger = deps.logger ?? createLogger('sweeper');
  return middy<ScheduledEvent | Record<string, never>, SweepReport>()
    .use(injectLambdaContext(logger, { logEvent: false }))
    .handler(async () => {
      const report = await requeueStuckJobs(deps, deps);
      const examined = report.examined.free + report.examined.basic + report.examined.pro;
      if (report.requeued.length > 0 || report.failed.length > 0 || report.abandoned.length > 0 || report.recovered.length > 0) {
        logger.warn('stuck jobs handled', { examined, requeued: report.requeued, failed: report.failed, abandoned: report.abandoned, recovered: report.recovered });
      } else {
        logger.info('no stuck jobs', { examined });
      }
      return report;
    });
}
