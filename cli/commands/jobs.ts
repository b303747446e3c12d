import type { JobListItem, JobStatus, JobView } from '../../client/types.ts';
import { CliError, EXIT, UsageError, explain } from '../errors.ts';
import { jobsTable, jobText, percent, resultText } from '../format.ts';
import type { Output } from '../output.ts';
import { openSession, type Session } from '../session.ts';
import type { JobFlags } from '../submit-body.ts';
import type { ConnectionOptions } from '../target.ts';
import { followJob, isTerminal } from '../watch.ts';

const STATUSES: readonly JobStatus[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];

/** The end of `submit --watch` / `watch`: the stats and best parameters, or why there are none. Exit 0 only on success. */
function reportFinal(job: JobView, out: Output): number {
  if (out.json) out.data(job);
  if (job.status === 'succeeded') {
    if (!out.json) out.line(`\njob ${job.jobId} succeeded${job.result ? '' : ' (no result stored)'}\n${job.result ? `\n${resultText(job.result)}` : ''}`);
    return EXIT.ok;
  }
  // The reason goes to stderr as the CLI's one sentence, also with --json (stdout keeps only the job).
  if (job.status === 'failed') throw new CliError(`Job ${job.jobId} failed${job.error ? `: ${job.error.message.replace(/\.$/, '')} (${job.error.code})` : ''}.`, EXIT.failed);
  throw new CliError(`Job ${job.jobId} was cancelled.`, EXIT.failed);
}

async function follow(session: Session, jobId: string, out: Output): Promise<number> {
  const job = await session.call(
    followJob({ api: session.api, jobId, ...(session.target.wsUrl !== undefined ? { wsUrl: session.target.wsUrl } : {}), token: session.target.token, out }),
    `job ${jobId}`,
  );
  return reportFinal(job, out);
}

export async function submitCommand(flags: JobFlags & ConnectionOptions & { watch?: boolean; idempotencyKey?: string }, out: Output): Promise<number> {
  // The body first: a bad flag is reported before anything is looked up or sent. (Loaded here: it parses --param
  // with the engine CLI's parser, and the engine takes a few hundred ms to import, which no other command needs.)
  const { submitBody } = await import('../submit-body.ts');
  const body = submitBody(flags);
  const session = await openSession(flags, out);
  const submitted = await session.call(session.api.submit(body, flags.idempotencyKey !== undefined ? { idempotencyKey: flags.idempotencyKey } : {}), undefined, 'the job');
  if (!flags.watch) {
    if (out.json) out.data(submitted);
    else {
      out.line(`submitted job ${submitted.jobId} (${submitted.tier} queue, ${submitted.combinations} combination${submitted.combinations === 1 ? '' : 's'})${submitted.replayed ? ', the same job as the earlier submit with this idempotency key' : ''}`);
      out.line(`follow it: backtest watch ${submitted.jobId}`);
    }
    return EXIT.ok;
  }
  if (!out.json) out.line(`submitted job ${submitted.jobId} (${submitted.tier} queue, ${submitted.combinations} combination${submitted.combinations === 1 ? '' : 's'})`);
  return follow(session, submitted.jobId, out);
}

export async function watchCommand(jobId: string, options: ConnectionOptions, out: Output): Promise<number> {
  const session = await openSession(options, out);
  return follow(session, jobId, out);
}

export async function statusCommand(jobId: string, options: ConnectionOptions, out: Output): Promise<number> {
  const session = await openSession(options, out);
  const job = await session.call(session.api.getJob(jobId), `job ${jobId}`);
  if (out.json) out.data(job);
  else out.line(jobText(job));
  return EXIT.ok;
}

export async function listCommand(options: ConnectionOptions & { status?: string; limit?: string; cursor?: string }, out: Output): Promise<number> {
  if (options.status !== undefined && !STATUSES.includes(options.status as JobStatus)) throw new UsageError(`--status must be one of ${STATUSES.join(', ')}.`);
  const limit = options.limit === undefined ? 20 : Number(options.limit);
  // Only the shape here; the API says how large a page may be (its 400 names `limit`).
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a whole number from 1 up.');
  const session = await openSession(options, out);
  const page = await session.call(session.api.listJobs({ limit, ...(options.status ? { status: options.status as JobStatus } : {}), ...(options.cursor ? { cursor: options.cursor } : {}) }));
  if (out.json) {
    out.data(page);
    return EXIT.ok;
  }
  if (page.items.length === 0) out.line(options.status ? `no ${options.status} jobs` : 'no jobs yet: `backtest submit … --watch` starts one');
  else out.line(jobsTable(page.items));
  if (page.nextCursor) out.line(`\nmore: backtest list --limit ${limit}${options.status ? ` --status ${options.status}` : ''} --cursor ${page.nextCursor}`);
  return EXIT.ok;
}

export async function cancelCommand(jobId: string, options: ConnectionOptions, out: Output): Promise<number> {
  const session = await openSession(options, out);
  let job: JobListItem;
  try {
    job = await session.api.cancel(jobId);
  } catch (error) {
    // Cancelling a finished job is refused with 409: say what it ended as rather than only "conflict".
    const explained = explain(error, { token: session.target.token, tokenSource: session.target.tokenSource, subject: `job ${jobId}` });
    if ((error as { status?: number }).status === 409) {
      const current = await session.call(session.api.getJob(jobId), `job ${jobId}`);
      if (isTerminal(current.status)) throw new CliError(`Job ${jobId} already ${current.status}: there is nothing to cancel.`, EXIT.failed);
    }
    throw explained;
  }
  if (out.json) out.data(job);
  else if (job.status === 'cancelled') out.line(`job ${jobId} cancelled`);
  else out.line(`job ${jobId}: cancel requested, the worker stops it at its next progress update (${job.status} ${percent(job.progress)})`);
  return EXIT.ok;
}
