import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import {
  ConflictError,
  IdempotencyConflictError,
  InsufficientCreditsError,
  RateLimitedError,
  NotFoundError,
  ServiceUnavailableError,
  UnrecoverableJobError,
  ValidationError,
} from '../core/errors.ts';
import { isRequeueable, isTerminal, requeueFailed, RETRIES_EXHAUSTED, type Job, type JobError, type JobStatus } from '../core/job.ts';
import type { JobResult } from '../core/job-result.ts';
import type { ClaimOutcome, CreateOutcome, JobRepository, ListQuery, SubmissionCharge, ThroughputSample, TierThroughput } from '../core/ports/job-repository.ts';
import { foldThroughput } from '../core/use-cases/eta.ts';
import type { Tier } from '../core/tiers.ts';
import { expiresAtFor, jobFromItem, jobToItem, queueState } from './dynamodb-job-item.ts';
import { ledgerEntryItem, openingEntryItem } from './dynamodb-ledger.ts';

export interface DynamoDbJobRepositoryProps {
  client: DynamoDBDocumentClient;
  /** Jobs table (JOBS_TABLE in table-schema.ts). */
  jobsTable: string;
  /** Users table: credits, daily counters, idempotency records. */
  usersTable: string;
}

/**
 * Room for the result in a job item: DynamoDB caps an item at 400 KB, and the request, messages and attribute names
 * need some of it. The worker keeps results far smaller (MAX_STORED_TRADES, a downsampled curve).
 */
export const MAX_RESULT_BYTES = 350 * 1024;
/** Daily counters outlive their day by this much, for support questions, then TTL removes them. */
const DAY_COUNTER_TTL_DAYS = 3;
/** Concurrent submits of one user touch the same profile item; DynamoDB cancels one with TransactionConflict. */
const TRANSACTION_CONFLICT_RETRIES = 3;
/** With a status filter, stop after reading this many index pages and hand back a cursor instead of scanning on. */
const MAX_PAGES_PER_LIST = 10;

const CANCELLED_ERROR: JobError = { code: 'cancelled', message: 'Cancelled by the user' };

/**
 * The JobRepository on DynamoDB. Every transition is a conditional write on the status (and attempt) it expects;
 * transitions to failed/cancelled refund credits in the same transaction, so the refund happens exactly once.
 */
export class DynamoDbJobRepository implements JobRepository {
  readonly #client: DynamoDBDocumentClient;
  readonly #jobsTable: string;
  readonly #usersTable: string;

  constructor(props: DynamoDbJobRepositoryProps) {
    this.#client = props.client;
    this.#jobsTable = props.jobsTable;
    this.#usersTable = props.usersTable;
  }

  async create(job: Job, charge: SubmissionCharge): Promise<CreateOutcome> {
    const nowMs = Date.parse(job.createdAt);
    if (charge.dailyLimit !== null && charge.dailyLimit <= 0) {
      throw new RateLimitedError(charge.dailyLimit, secondsToEndOfDay(charge.day, nowMs), dayResetAt(charge.day));
    }
    const userPk = `USER#${job.userId}`;
    const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [];
    const idemIndex = charge.idempotency ? items.length : -1;
    if (charge.idempotency) {
      items.push({
        // An update that writes the whole record (not a Put): submit needs no PutItem on the Users table.
        Update: {
          TableName: this.#usersTable,
          Key: { pk: userPk, sk: `IDEM#${charge.idempotency.key}` },
          UpdateExpression: 'SET jobId = :jobId, requestHash = :hash, expiresAt = :expiresAt',
          // TTL deletes lazily (up to days late): an expired record counts as absent.
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :nowSec',
          ExpressionAttributeValues: {
            ':jobId': job.jobId,
            ':hash': charge.idempotency.requestHash,
            ':expiresAt': charge.idempotency.expiresAt,
            ':nowSec': Math.floor(nowMs / 1000),
          },
        },
      });
    }
    const dayIndex = charge.dailyLimit !== null ? items.length : -1;
    if (charge.dailyLimit !== null) {
      items.push({
        Update: {
          TableName: this.#usersTable,
          Key: { pk: userPk, sk: `DAY#${charge.day}` },
          UpdateExpression: 'SET #count = if_not_exists(#count, :zero) + :one, expiresAt = :ttl',
          ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
          ExpressionAttributeNames: { '#count': 'count' },
          ExpressionAttributeValues: {
            ':zero': 0,
            ':one': 1,
            ':limit': charge.dailyLimit,
            ':ttl': Math.floor(Date.parse(`${charge.day}T00:00:00Z`) / 1000) + DAY_COUNTER_TTL_DAYS * 86_400,
          },
        },
      });
    }
    const creditsIndex = items.length;
    items.push({
      Update: {
        TableName: this.#usersTable,
        Key: { pk: userPk, sk: 'PROFILE' },
        // The profile is created on first use with the tier's starting credits, in the same atomic step.
        UpdateExpression: 'SET credits = if_not_exists(credits, :initial) - :cost, updatedAt = :now',
        ConditionExpression:
          charge.initialCredits >= charge.credits ? 'attribute_not_exists(credits) OR credits >= :cost' : 'credits >= :cost',
        ExpressionAttributeValues: { ':initial': charge.initialCredits, ':cost': charge.credits, ':now': job.createdAt },
      },
    });
    const jobIndex = items.length;
    items.push({
      Put: { TableName: this.#jobsTable, Item: jobToItem(job), ConditionExpression: 'attribute_not_exists(jobId)' },
    });
    // The ledger lines of the debit (and of the account's opening, the first time), in the same transaction.
    items.push(
      openingEntryItem(this.#usersTable, job.userId, charge.initialCredits, job.createdAt),
      ledgerEntryItem(this.#usersTable, { userId: job.userId, at: job.createdAt, kind: 'debit', amount: -charge.credits, jobId: job.jobId }),
    );

    for (let attempt = 0; ; attempt++) {
      try {
        await this.#client.send(new TransactWriteCommand({ TransactItems: items }));
        return { kind: 'created', job: structuredClone(job) };
      } catch (error) {
        const reasons = cancellationCodes(error);
        if (!reasons) throw error;
        if (reasons[idemIndex] === 'ConditionalCheckFailed' && charge.idempotency) {
          return this.#replay(job.userId, charge.idempotency);
        }
        if (reasons[dayIndex] === 'ConditionalCheckFailed' && charge.dailyLimit !== null) {
          throw new RateLimitedError(charge.dailyLimit, secondsToEndOfDay(charge.day, nowMs), dayResetAt(charge.day));
        }
        if (reasons[creditsIndex] === 'ConditionalCheckFailed') {
          const available = await this.#credits(job.userId);
          throw new InsufficientCreditsError(charge.credits, available ?? charge.initialCredits);
        }
        if (reasons[jobIndex] === 'ConditionalCheckFailed') throw new ConflictError(`job ${job.jobId} already exists`);
        if (reasons.includes('TransactionConflict') && attempt < TRANSACTION_CONFLICT_RETRIES) {
          await sleep(20 * 2 ** attempt + Math.random() * 20);
          continue;
        }
        throw new ServiceUnavailableError(`could not create the job: ${reasons.join(', ')}`);
      }
    }
  }

  async #replay(userId: string, idempotency: NonNullable<SubmissionCharge['idempotency']>): Promise<CreateOutcome> {
    const { Item } = await this.#client.send(
      new GetCommand({ TableName: this.#usersTable, Key: { pk: `USER#${userId}`, sk: `IDEM#${idempotency.key}` }, ConsistentRead: true }),
    );
    if (!Item || Item.requestHash !== idempotency.requestHash) {
      throw new IdempotencyConflictError('This Idempotency-Key was used with a different request body');
    }
    const earlier = await this.get(String(Item.jobId));
    if (!earlier) throw new IdempotencyConflictError('This Idempotency-Key belongs to a job that no longer exists');
    return { kind: 'replayed', job: earlier };
  }

  async #credits(userId: string): Promise<number | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({ TableName: this.#usersTable, Key: { pk: `USER#${userId}`, sk: 'PROFILE' }, ConsistentRead: true }),
    );
    return typeof Item?.credits === 'number' ? Item.credits : undefined;
  }

  async get(jobId: string): Promise<Job | undefined> {
    const { Item } = await this.#client.send(new GetCommand({ TableName: this.#jobsTable, Key: { jobId }, ConsistentRead: true }));
    return Item ? jobFromItem(Item) : undefined;
  }

  async listByUser(userId: string, query: ListQuery): Promise<{ items: Job[]; nextCursor?: string }> {
    if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > 1000) {
      throw new ValidationError([{ path: 'limit', message: 'must be an integer from 1 to 1000' }]);
    }
    let startKey = query.cursor ? decodeCursor(query.cursor, userId) : undefined;
    const items: Job[] = [];
    for (let page = 0; page < MAX_PAGES_PER_LIST; page++) {
      const result = await this.#client.send(
        new QueryCommand({
          TableName: this.#jobsTable,
          IndexName: 'byUser',
          KeyConditionExpression: 'userId = :u',
          ScanIndexForward: false,
          // One more than needed tells whether a next page exists; with a filter, read in bigger pages.
          Limit: query.status ? Math.max(50, query.limit + 1) : query.limit + 1 - items.length,
          ExclusiveStartKey: startKey,
          ...(query.status
            ? { FilterExpression: '#status = :s', ExpressionAttributeNames: { '#status': 'status' } }
            : {}),
          ExpressionAttributeValues: { ':u': userId, ...(query.status ? { ':s': query.status } : {}) },
        }),
      );
      items.push(...(result.Items ?? []).map(jobFromItem));
      if (items.length > query.limit) {
        const page = items.slice(0, query.limit);
        return { items: page, nextCursor: encodeCursor(page[page.length - 1]) };
      }
      if (!result.LastEvaluatedKey) return { items };
      startKey = result.LastEvaluatedKey;
    }
    // Scanned enough without filling the page (a rare status in a long history): let the client ask on.
    return { items, nextCursor: encodeCursor(startKey as Pick<Job, 'createdAt' | 'jobId'>) };
  }

  async listLive(tier: Tier, status: 'queued' | 'running', limit: number): Promise<{ jobId: string; createdAt: string }[]> {
    const out: { jobId: string; createdAt: string }[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const result = await this.#client.send(
        new QueryCommand({
          TableName: this.#jobsTable,
          IndexName: 'byQueueState',
          KeyConditionExpression: 'queueState = :q',
          ExpressionAttributeValues: { ':q': queueState(tier, status) },
          ScanIndexForward: true,
          Limit: limit - out.length,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of result.Items ?? []) out.push({ jobId: String(item.jobId), createdAt: String(item.createdAt) });
      startKey = result.LastEvaluatedKey;
    } while (startKey && out.length < limit);
    return out;
  }

  async claim(jobId: string, attempt: number, now: string): Promise<ClaimOutcome> {
    const current = await this.get(jobId);
    if (!current) return { kind: 'skip', job: undefined, reason: 'missing' };
    if (isTerminal(current.status)) return { kind: 'skip', job: current, reason: 'terminal' };
    if (current.attempts >= attempt) return { kind: 'skip', job: current, reason: 'newer-attempt' };
    try {
      const { Attributes } = await this.#client.send(
        new UpdateCommand({
          TableName: this.#jobsTable,
          Key: { jobId },
          // cancelRequested survives: a cancel asked of a crashed attempt still applies to the next one.
          UpdateExpression:
            'SET #status = :running, attempts = :attempt, progress = :zero, message = :message, startedAt = :now, updatedAt = :now, queueState = :qs',
          ConditionExpression: '(#status = :queued OR #status = :running) AND attempts < :attempt',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':running': 'running',
            ':queued': 'queued',
            ':attempt': attempt,
            ':zero': 0,
            ':message': `Running (attempt ${attempt})`,
            ':now': now,
            ':qs': queueState(current.tier, 'running'),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { kind: 'claimed', job: jobFromItem(Attributes ?? {}) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Someone moved the job between the read and the write: report what they left.
      const latest = await this.get(jobId);
      if (!latest) return { kind: 'skip', job: undefined, reason: 'missing' };
      return { kind: 'skip', job: latest, reason: isTerminal(latest.status) ? 'terminal' : 'newer-attempt' };
    }
  }

  async saveProgress(
    jobId: string,
    attempt: number,
    progress: number,
    message: string,
    now: string,
  ): Promise<{ owned: boolean; cancelRequested: boolean }> {
    const clamped = Math.min(1, Math.max(0, progress));
    const owned = '#status = :running AND attempts = :attempt';
    const values = { ':running': 'running', ':attempt': attempt, ':message': message, ':now': now };
    // Progress never goes backwards; the common (increasing) case is one write, a lower value keeps the old one.
    const raised = await this.#conditionalUpdate({
      TableName: this.#jobsTable,
      Key: { jobId },
      UpdateExpression: 'SET progress = :p, message = :message, updatedAt = :now',
      ConditionExpression: `${owned} AND progress <= :p`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ...values, ':p': clamped },
      ReturnValues: 'ALL_NEW',
    });
    const after =
      raised ??
      (await this.#conditionalUpdate({
        TableName: this.#jobsTable,
        Key: { jobId },
        UpdateExpression: 'SET message = :message, updatedAt = :now',
        ConditionExpression: owned,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }));
    if (after) return { owned: true, cancelRequested: after.cancelRequested === true };
    const latest = await this.get(jobId);
    return { owned: false, cancelRequested: latest?.cancelRequested === true };
  }

  async complete(jobId: string, attempt: number, result: JobResult, now: string): Promise<boolean> {
    const resultJson = JSON.stringify(result);
    const bytes = Buffer.byteLength(resultJson);
    if (bytes > MAX_RESULT_BYTES) {
      // Failing clearly beats DynamoDB's generic "item size exceeded"; retrying cannot shrink the result.
      throw new UnrecoverableJobError(
        'result_too_large',
        `the result is ${Math.ceil(bytes / 1024)} KB, more than the ${MAX_RESULT_BYTES / 1024} KB a stored job may hold`,
      );
    }
    const done = await this.#conditionalUpdate({
      TableName: this.#jobsTable,
      Key: { jobId },
      UpdateExpression:
        'SET #status = :succeeded, progress = :one, message = :done, resultJson = :result, finishedAt = :now, updatedAt = :now, expiresAt = :ttl REMOVE queueState',
      ConditionExpression: '#status = :running AND attempts = :attempt',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':succeeded': 'succeeded',
        ':running': 'running',
        ':attempt': attempt,
        ':one': 1,
        ':done': 'Done',
        ':result': resultJson,
        ':now': now,
        ':ttl': expiresAtFor(now),
      },
      ReturnValues: 'NONE',
    });
    return done !== undefined;
  }

  async fail(jobId: string, attempt: number, error: JobError, now: string): Promise<boolean> {
    const job = await this.get(jobId);
    if (!job) return false;
    return this.#finishWithRefund(job, 'failed', error, '(#status = :running AND attempts = :attempt) OR #status = :queued', attempt, now);
  }

  async scheduleRetry(jobId: string, attempt: number, message: string, now: string): Promise<boolean> {
    const job = await this.get(jobId);
    if (!job) return false;
    const done = await this.#conditionalUpdate({
      TableName: this.#jobsTable,
      Key: { jobId },
      UpdateExpression: 'SET #status = :queued, message = :message, updatedAt = :now, queueState = :qs',
      ConditionExpression: '#status = :running AND attempts = :attempt',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':queued': 'queued',
        ':running': 'running',
        ':attempt': attempt,
        ':message': message,
        ':now': now,
        ':qs': queueState(job.tier, 'queued'),
      },
      ReturnValues: 'NONE',
    });
    return done !== undefined;
  }

  async cancel(jobId: string, userId: string, now: string): Promise<Job> {
    // A worker may move the job between our read and write; re-read and decide again (a handful of times at most).
    for (let round = 0; round < 5; round++) {
      const job = await this.get(jobId);
      if (!job || job.userId !== userId) throw new NotFoundError(`job ${jobId} not found`);
      if (isTerminal(job.status)) throw new ConflictError(`job ${jobId} is already ${job.status}`);
      if (job.status === 'queued') {
        if (await this.#finishWithRefund(job, 'cancelled', CANCELLED_ERROR, '#status = :queued', job.attempts, now)) {
          const after = await this.get(jobId);
          if (after) return after;
        }
        continue;
      }
      if (job.cancelRequested) return job;
      const after = await this.#conditionalUpdate({
        TableName: this.#jobsTable,
        Key: { jobId },
        UpdateExpression: 'SET cancelRequested = :true, message = :message, updatedAt = :now',
        ConditionExpression: '#status = :running',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':running': 'running', ':true': true, ':message': 'Cancelling', ':now': now },
        ReturnValues: 'ALL_NEW',
      });
      if (after) return after;
    }
    throw new ServiceUnavailableError(`job ${jobId} kept changing while being cancelled; try again`);
  }

  async confirmCancelled(jobId: string, attempt: number, now: string): Promise<boolean> {
    const job = await this.get(jobId);
    if (!job) return false;
    return this.#finishWithRefund(
      job,
      'cancelled',
      CANCELLED_ERROR,
      '#status = :running AND attempts = :attempt AND cancelRequested = :true',
      attempt,
      now,
    );
  }

  async touchStuckQueued(jobId: string, cutoff: string, now: string): Promise<boolean> {
    const done = await this.#conditionalUpdate({
      TableName: this.#jobsTable,
      Key: { jobId },
      UpdateExpression: 'SET updatedAt = :now',
      ConditionExpression: '#status = :queued AND attempts = :zero AND updatedAt <= :cutoff',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':queued': 'queued', ':zero': 0, ':cutoff': cutoff, ':now': now },
      ReturnValues: 'NONE',
    });
    return done !== undefined;
  }

  async requeueAbandoned(jobId: string, attempt: number, cutoff: string, now: string): Promise<boolean> {
    const job = await this.get(jobId);
    if (!job) return false;
    const done = await this.#conditionalUpdate({
      TableName: this.#jobsTable,
      Key: { jobId },
      UpdateExpression: 'SET #status = :queued, attempts = :zero, progress = :zero, message = :message, updatedAt = :now, queueState = :qs REMOVE startedAt',
      ConditionExpression: '#status = :running AND attempts = :attempt AND updatedAt <= :cutoff',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':queued': 'queued',
        ':running': 'running',
        ':zero': 0,
        ':attempt': attempt,
        ':cutoff': cutoff,
        ':now': now,
        ':message': `Requeued: attempt ${attempt} stopped and its queue message was lost`,
        ':qs': queueState(job.tier, 'queued'),
      },
      ReturnValues: 'NONE',
    });
    return done !== undefined;
  }

  async requeueFailed(jobId: string, now: string): Promise<Job> {
    const job = await this.get(jobId);
    if (!job) throw new NotFoundError(`job ${jobId} not found`);
    if (!isRequeueable(job)) {
      throw new ConflictError(`job ${jobId} is ${job.status}${job.error ? ` (${job.error.code})` : ''}; only a job failed for retries_exhausted can be requeued`);
    }
    const next = requeueFailed(job, now);
    const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [
      {
        Update: {
          TableName: this.#jobsTable,
          Key: { jobId },
          UpdateExpression:
            'SET #status = :queued, attempts = :zero, progress = :zero, message = :message, updatedAt = :now, queueState = :qs ' +
            'REMOVE #error, finishedAt, startedAt, expiresAt, resultJson, cancelRequested',
          // Exactly the failure we read: a concurrent redrive of the same job loses here and charges nothing.
          ConditionExpression: '#status = :failed AND #error.code = :code AND updatedAt = :seen',
          ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
          ExpressionAttributeValues: {
            ':queued': 'queued',
            ':zero': 0,
            ':message': next.message,
            ':now': now,
            ':qs': queueState(job.tier, 'queued'),
            ':failed': 'failed',
            ':code': RETRIES_EXHAUSTED,
            ':seen': job.updatedAt,
          },
        },
      },
    ];
    if (job.creditsCharged > 0) {
      items.push({
        Update: {
          TableName: this.#usersTable,
          Key: { pk: `USER#${job.userId}`, sk: 'PROFILE' },
          UpdateExpression: 'SET credits = credits - :cost, updatedAt = :now',
          ConditionExpression: 'credits >= :cost',
          ExpressionAttributeValues: { ':cost': job.creditsCharged, ':now': now },
        },
      });
      items.push(ledgerEntryItem(this.#usersTable, { userId: job.userId, at: now, kind: 'redebit', amount: -job.creditsCharged, jobId }));
    }
    try {
      await this.#client.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (error) {
      const reasons = cancellationCodes(error);
      if (!reasons) throw error;
      if (reasons[0] === 'ConditionalCheckFailed') throw new ConflictError(`job ${jobId} changed while being requeued`);
      if (reasons[1] === 'ConditionalCheckFailed') {
        throw new InsufficientCreditsError(job.creditsCharged, (await this.#credits(job.userId)) ?? 0);
      }
      throw new ServiceUnavailableError(`could not requeue job ${jobId}: ${reasons.join(', ')}`);
    }
    return (await this.get(jobId)) ?? next;
  }

  async saveChunkProgress(jobId: string, chunk: number, progress: number, now: string): Promise<{ live: boolean; cancelRequested: boolean }> {
    const clamped = Math.min(1, Math.max(0, progress));
    const live = '(#status = :running OR #status = :queued)';
    // Each chunk writes its own map entry: chunks of one job never contend for a condition, and the entry only rises.
    const after = await this.#conditionalUpdate({
      TableName: this.#jobsTable,
      Key: { jobId },
      UpdateExpression: 'SET chunkProgress.#c = :p, updatedAt = :now',
      ConditionExpression: `${live} AND attribute_exists(chunkProgress) AND (attribute_not_exists(chunkProgress.#c) OR chunkProgress.#c < :p)`,
      ExpressionAttributeNames: { '#status': 'status', '#c': String(chunk) },
      ExpressionAttributeValues: { ':running': 'running', ':queued': 'queued', ':p': clamped, ':now': now },
      ReturnValues: 'ALL_NEW',
    });
    if (after) return { live: true, cancelRequested: after.cancelRequested === true };
    const latest = await this.get(jobId);
    return { live: latest !== undefined && !isTerminal(latest.status), cancelRequested: latest?.cancelRequested === true };
  }

  async recordChunk(jobId: string, chunk: number, partial: string, now: string): Promise<{ kind: 'recorded' | 'duplicate' | 'gone'; chunksDone: number }> {
    if (Buffer.byteLength(partial) > MAX_RESULT_BYTES) {
      throw new UnrecoverableJobError('result_too_large', `a chunk's partial result is ${Math.ceil(Buffer.byteLength(partial) / 1024)} KB, more than a stored item may hold`);
    }
    const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [
      {
        // The partial lives in its own item (no userId or queueState: in neither index). Written once: the condition
        // is what makes a duplicate delivery or a retried chunk count nothing.
        Put: {
          TableName: this.#jobsTable,
          Item: { jobId: chunkItemId(jobId, chunk), partial, recordedAt: now, expiresAt: expiresAtFor(now) },
          ConditionExpression: 'attribute_not_exists(jobId)',
        },
      },
      {
        Update: {
          TableName: this.#jobsTable,
          Key: { jobId },
          UpdateExpression: 'SET chunkProgress.#c = :one, updatedAt = :now ADD chunksDone :one',
          ConditionExpression: '(#status = :running OR #status = :queued) AND attribute_exists(chunkProgress)',
          ExpressionAttributeNames: { '#status': 'status', '#c': String(chunk) },
          ExpressionAttributeValues: { ':running': 'running', ':queued': 'queued', ':one': 1, ':now': now },
        },
      },
    ];
    let kind: 'recorded' | 'duplicate' | 'gone' = 'recorded';
    for (let round = 0; ; round++) {
      try {
        await this.#client.send(new TransactWriteCommand({ TransactItems: items }));
        break;
      } catch (error) {
        const reasons = cancellationCodes(error);
        if (!reasons) throw error;
        if (reasons[0] === 'ConditionalCheckFailed') kind = 'duplicate';
        else if (reasons[1] === 'ConditionalCheckFailed') kind = 'gone';
        else if (reasons.includes('TransactionConflict') && round < TRANSACTION_CONFLICT_RETRIES) {
          await sleep(20 * 2 ** round + Math.random() * 20);
          continue;
        } else throw new ServiceUnavailableError(`could not record chunk ${chunk} of job ${jobId}: ${reasons.join(', ')}`);
        break;
      }
    }
    const after = await this.get(jobId);
    return { kind, chunksDone: after?.chunksDone ?? 0 };
  }

  async chunkPartials(jobId: string, chunks: number): Promise<(string | undefined)[]> {
    const out: (string | undefined)[] = new Array(chunks).fill(undefined);
    const ids = Array.from({ length: chunks }, (_, i) => i);
    // BatchGetItem takes 100 keys a call and may hand some back unprocessed under load: ask again for those.
    for (let i = 0; i < ids.length; i += 100) {
      let keys: Record<string, unknown>[] = ids.slice(i, i + 100).map((c) => ({ jobId: chunkItemId(jobId, c) }));
      for (let round = 0; keys.length > 0; round++) {
        if (round > 8) throw new ServiceUnavailableError(`could not read the chunks of job ${jobId}`);
        if (round > 0) await sleep(20 * 2 ** Math.min(round, 5));
        const result = await this.#client.send(
          new BatchGetCommand({ RequestItems: { [this.#jobsTable]: { Keys: keys, ConsistentRead: true, ProjectionExpression: 'jobId, #partial', ExpressionAttributeNames: { '#partial': 'partial' } } } }),
        );
        for (const item of result.Responses?.[this.#jobsTable] ?? []) {
          const chunk = Number(String(item.jobId).slice(jobId.length + CHUNK_ID_INFIX.length));
          if (Number.isInteger(chunk) && chunk >= 0 && chunk < chunks && typeof item.partial === 'string') out[chunk] = item.partial;
        }
        keys = (result.UnprocessedKeys?.[this.#jobsTable]?.Keys as Record<string, unknown>[] | undefined) ?? [];
      }
    }
    return out;
  }

  async tierThroughput(tier: Tier): Promise<TierThroughput | undefined> {
    const { Item } = await this.#client.send(new GetCommand({ TableName: this.#jobsTable, Key: { jobId: throughputItemId(tier) } }));
    if (!Item || typeof Item.barEvaluationsPerSecond !== 'number' || typeof Item.deliverySeconds !== 'number') return undefined;
    return {
      barEvaluationsPerSecond: Item.barEvaluationsPerSecond,
      deliverySeconds: Item.deliverySeconds,
      samples: Number(Item.samples ?? 0),
      updatedAt: String(Item.updatedAt ?? ''),
    };
  }

  async recordThroughput(tier: Tier, sample: ThroughputSample, now: string): Promise<void> {
    const next = foldThroughput(await this.tierThroughput(tier), sample, now);
    // An UpdateItem (workers have no unrestricted PutItem); the item has no userId or queueState, so no index sees it.
    await this.#client.send(
      new UpdateCommand({
        TableName: this.#jobsTable,
        Key: { jobId: throughputItemId(tier) },
        UpdateExpression: 'SET barEvaluationsPerSecond = :rate, deliverySeconds = :seconds, samples = :samples, updatedAt = :now',
        ExpressionAttributeValues: { ':rate': next.barEvaluationsPerSecond, ':seconds': next.deliverySeconds, ':samples': next.samples, ':now': now },
      }),
    );
  }

  /** The one way a job reaches failed or cancelled: the status change and the refund commit together or not at all. */
  async #finishWithRefund(
    job: Job,
    status: Extract<JobStatus, 'failed' | 'cancelled'>,
    error: JobError,
    condition: string,
    attempt: number,
    now: string,
  ): Promise<boolean> {
    const message = status === 'cancelled' ? 'Cancelled' : error.message;
    const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [
      {
        Update: {
          TableName: this.#jobsTable,
          Key: { jobId: job.jobId },
          UpdateExpression:
            'SET #status = :status, message = :message, #error = :error, finishedAt = :now, updatedAt = :now, expiresAt = :ttl REMOVE queueState',
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
          ExpressionAttributeValues: pickUsed(condition, {
            ':status': status,
            ':message': message,
            ':error': { code: error.code, message: error.message },
            ':now': now,
            ':ttl': expiresAtFor(now),
            ':running': 'running',
            ':queued': 'queued',
            ':attempt': attempt,
            ':true': true,
          }),
        },
      },
    ];
    if (job.creditsCharged > 0) {
      items.push({
        Update: {
          TableName: this.#usersTable,
          Key: { pk: `USER#${job.userId}`, sk: 'PROFILE' },
          UpdateExpression: 'ADD credits :refund',
          ExpressionAttributeValues: { ':refund': job.creditsCharged },
        },
      });
      items.push(ledgerEntryItem(this.#usersTable, { userId: job.userId, at: now, kind: 'refund', amount: job.creditsCharged, jobId: job.jobId }));
    }
    for (let round = 0; ; round++) {
      try {
        await this.#client.send(new TransactWriteCommand({ TransactItems: items }));
        return true;
      } catch (caught) {
        const reasons = cancellationCodes(caught);
        if (!reasons) throw caught;
        if (reasons[0] === 'ConditionalCheckFailed') return false;
        if (reasons.includes('TransactionConflict') && round < TRANSACTION_CONFLICT_RETRIES) {
          await sleep(20 * 2 ** round + Math.random() * 20);
          continue;
        }
        throw new ServiceUnavailableError(`could not finish job ${job.jobId}: ${reasons.join(', ')}`);
      }
    }
  }

  /** Runs a conditional update; undefined when the condition did not hold, else the new job (or `{}` with ReturnValues NONE). */
  async #conditionalUpdate(input: UpdateCommandInput): Promise<Job | undefined> {
    try {
      const { Attributes } = await this.#client.send(new UpdateCommand(input));
      return Attributes ? jobFromItem(Attributes) : ({} as Job);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }
}

/** Expression values DynamoDB would reject as unused ("Value provided in ExpressionAttributeValues unused"). */
function pickUsed(condition: string, values: Record<string, unknown>): Record<string, unknown> {
  const alwaysUsed = [':status', ':message', ':error', ':now', ':ttl'];
  return Object.fromEntries(Object.entries(values).filter(([key]) => alwaysUsed.includes(key) || condition.includes(key)));
}

/** A fanned-out job's chunk partial is an item of the Jobs table under `<jobId>#chunk#<n>`. */
const CHUNK_ID_INFIX = '#chunk#';
/** A tier's throughput averages (eta.ts) live in one item of the Jobs table. */
export function throughputItemId(tier: Tier): string {
  return `TIER#${tier}#throughput`;
}
export function chunkItemId(jobId: string, chunk: number): string {
  return `${jobId}${CHUNK_ID_INFIX}${chunk}`;
}

function cancellationCodes(error: unknown): string[] | undefined {
  if (!(error instanceof TransactionCanceledException)) return undefined;
  return (error.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None');
}

/** The next UTC midnight after `day` (YYYY-MM-DD): when its submission count stops counting. */
function dayResetAt(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString();
}

function secondsToEndOfDay(day: string, nowMs: number): number {
  const end = Date.parse(`${day}T00:00:00Z`) + 86_400_000;
  return Math.max(1, Math.ceil((end - nowMs) / 1000));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The cursor names the last job of a page; the user id comes from the caller, never from the cursor. */
function encodeCursor(job: Pick<Job, 'createdAt' | 'jobId'>): string {
  return Buffer.from(JSON.stringify({ c: job.createdAt, j: job.jobId })).toString('base64url');
}

function decodeCursor(cursor: string, userId: string): Record<string, string> {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { c?: unknown; j?: unknown };
    if (typeof parsed.c === 'string' && typeof parsed.j === 'string' && parsed.c.length <= 64 && parsed.j.length <= 128) {
      return { jobId: parsed.j, userId, createdAt: parsed.c };
    }
  } catch {
    // any undecodable cursor is the client's error, reported below
  }
  throw new ValidationError([{ path: 'cursor', message: 'is not a cursor this API issued' }]);
}
