import { InsufficientCreditsError } from '../errors.ts';
import { isRequeueable, isTerminal, RETRIES_EXHAUSTED, type JobError, type JobStatus } from '../job.ts';
import { isoNow, type Clock } from '../ports/clock.ts';
import type { DeadLetter, DeadLetterQueue } from '../ports/dead-letter-queue.ts';
import type { JobQueue } from '../ports/job-queue.ts';
import type { JobRepository } from '../ports/job-repository.ts';
import type { Tier } from '../tiers.ts';
import { jobMessageSchema } from './process-job.ts';

/** How long messages stay hidden while one `list` or `redrive` run handles them (released at the end). */
export const DLQ_HIDE_SECONDS = 60;

export interface DeadLetterRow {
  messageId: string;
  /**
   * SQS's ApproximateReceiveCount: the source queue's receives, plus the one that moved the message to the DLQ (on
   * fauxqs) and every read of the DLQ since, this listing's included (SQS has no peek). Not the job's attempts.
   */
  receiveCount: number;
  /** The attempts the job ran, from its row: what "how many times did it run" means. */
  jobAttempts?: number;
  sentAt?: string;
  body: string;
  jobId?: string;
  /** The job's status now; absent when the body names no job or the job is gone. */
  jobStatus?: JobStatus;
  jobError?: JobError;
}

export type RedriveOutcome =
  /** Job back to queued (attempts 0), message sent to the tier queue and removed from the DLQ. */
  | 'redriven'
  /** The job already finished (succeeded or cancelled): the message could never do anything; removed. */
  | 'removed-finished'
  /** Left in the DLQ, with the reason in `detail`. */
  | 'kept';

export interface RedriveRow extends DeadLetterRow {
  outcome: RedriveOutcome;
  detail: string;
}

interface DlqDeps {
  dlq: DeadLetterQueue;
  jobs: JobRepository;
}

/**
 * Reads up to `max` messages once each. SQS may hand one out twice: the second copy stays hidden until the run ends,
 * because released at once it is visible again, comes straight back, and the loop never ends.
 */
async function drain(tier: Tier, max: number, dlq: DeadLetterQueue, handle: (letter: DeadLetter) => Promise<void>): Promise<void> {
  const seen = new Set<string>();
  const copies: DeadLetter[] = [];
  try {
    while (seen.size < max) {
      const batch = await dlq.receive(tier, Math.min(10, max - seen.size), DLQ_HIDE_SECONDS);
      if (batch.length === 0) return;
      for (const letter of batch) {
        if (seen.has(letter.messageId)) {
          copies.push(letter);
        } else if (seen.size >= max) {
          await dlq.release(tier, letter);
        } else {
          seen.add(letter.messageId);
          await handle(letter);
        }
      }
    }
  } finally {
    for (const copy of copies) {
      // The run may have removed the message (redriven): then the copy has nothing left to release.
      await dlq.release(tier, copy).catch(() => undefined);
    }
  }
}

async function describe(letter: DeadLetter, jobs: JobRepository): Promise<{ row: DeadLetterRow; message?: { jobId: string; userId: string; tier: Tier } }> {
  const row: DeadLetterRow = {
    messageId: letter.messageId,
    receiveCount: letter.receiveCount,
    ...(letter.sentAt ? { sentAt: letter.sentAt } : {}),
    body: letter.body,
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(letter.body);
  } catch {
    return { row };
  }
  const message = jobMessageSchema.safeParse(parsed);
  if (!message.success) return { row };
  row.jobId = message.data.jobId;
  const job = await jobs.get(message.data.jobId);
  if (job) {
    row.jobStatus = job.status;
    row.jobAttempts = job.attempts;
    if (job.error) row.jobError = job.error;
  }
  return { row, message: message.data };
}

/** `npm run dlq -- list`: the messages with their receive counts and their jobs' status; every message stays in the DLQ. */
export async function listDeadLetters(tier: Tier, max: number, deps: DlqDeps): Promise<DeadLetterRow[]> {
  const rows: DeadLetterRow[] = [];
  const held: DeadLetter[] = [];
  try {
    await drain(tier, max, deps.dlq, async (letter) => {
      held.push(letter);
      rows.push((await describe(letter, deps.jobs)).row);
    });
  } finally {
    for (const letter of held) await deps.dlq.release(tier, letter);
  }
  return rows;
}

/**
 * `npm run dlq -- redrive`: puts dead-lettered jobs back to work. Moving the message alone would do nothing: the
 * job is `failed` (terminal) and its attempts are at the limit, so the worker's claim would skip it. Per message:
 * - job failed with retries_exhausted: `requeueFailed` (queued, attempts 0, credits debited again in the same
 *   transaction), then the message is sent to the tier queue and removed from the DLQ;
 * - job still queued or running (its last worker was killed, so nobody wrote the failure): failed first (refund),
 *   then requeued as above, so the credits balance is unchanged;
 * - job succeeded or cancelled: the message can do nothing, it is removed;
 * - anything else (malformed body, job gone, another failure code, not enough credits): kept, with the reason.
 * If the send fails after the requeue, the job is queued without a message: the stuck-job sweeper re-sends it.
 */
export async function redriveDeadLetters(tier: Tier, max: number, deps: DlqDeps & { queue: JobQueue; clock: Clock }): Promise<RedriveRow[]> {
  const rows: RedriveRow[] = [];
  const kept: DeadLetter[] = [];
  try {
    await drain(tier, max, deps.dlq, async (letter) => {
      const { row, message } = await describe(letter, deps.jobs);
      const keep = (detail: string) => {
        kept.push(letter);
        rows.push({ ...row, outcome: 'kept', detail });
      };
      if (!message) return keep('the body names no job');
      let job = await deps.jobs.get(message.jobId);
      if (!job) return keep('the job no longer exists');
      if (job.status === 'succeeded' || job.status === 'cancelled') {
        await deps.dlq.remove(tier, letter);
        rows.push({ ...row, outcome: 'removed-finished', detail: `the job already ${job.status}` });
        return;
      }
      if (!isTerminal(job.status)) {
        const abandoned: JobError = { code: RETRIES_EXHAUSTED, message: `Failed after ${job.attempts} attempts (the last worker stopped without recording an outcome)` };
        await deps.jobs.fail(job.jobId, job.attempts, abandoned, isoNow(deps.clock));
        job = (await deps.jobs.get(job.jobId)) ?? job;
      }
      if (!isRequeueable(job)) return keep(`the job is ${job.status}${job.error ? ` (${job.error.code})` : ''}; only retries_exhausted failures are redriven`);
      try {
        await deps.jobs.requeueFailed(job.jobId, isoNow(deps.clock));
      } catch (error) {
        if (error instanceof InsufficientCreditsError) return keep(`the user has ${error.available} credit(s), the job needs ${error.needed}`);
        throw error;
      }
      try {
        await deps.queue.enqueue({ jobId: job.jobId, userId: job.userId, tier: job.tier });
      } catch {
        return keep('the job was requeued but the send failed; the stuck-job sweeper will send it');
      }
      await deps.dlq.remove(tier, letter);
      rows.push({ ...row, jobStatus: 'queued', outcome: 'redriven', detail: `sent to the ${job.tier} queue with a fresh set of attempts` });
    });
  } finally {
    for (const letter of kept) await deps.dlq.release(tier, letter);
  }
  return rows;
}
