import { ChangeMessageVisibilityCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Logger } from './http-util.ts';
import { WORKER_TIMEOUT_SECONDS, type Tier } from '../lambdas/core/tiers.ts';
import type { SlotScheduler } from './slot-scheduler.ts';

export interface SqsPollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  /** Most invocations in flight at once: the event source mapping's `maxConcurrency`. */
  maxConcurrency: number;
  /** Runs the function with a one-record event; resolves to its result. */
  invoke(event: SQSEvent): Promise<unknown>;
  /** Long-poll wait per ReceiveMessage. @default 20 (the SQS maximum, as Lambda's pollers use) */
  waitTimeSeconds?: number;
  /**
   * Emulate SQS fair queues (docs/fan-out.md): fauxqs serves a standard queue strictly in arrival order and ignores
   * MessageGroupId, so one user's backlog (a fanned-out sweep's chunks) would hold every other user back. With this
   * on, the poller reads ahead up to FAIR_READ_AHEAD messages and gives each free slot to the message group (the
   * user) with the fewest invocations in flight. Off: plain arrival order, as fauxqs delivers.
   * @default LOCAL_FAIR_QUEUES (`on` | `off`, default `on`) when the queue's visibility timeout is at least the worker
   * timeout (as for the tier queues), else off
   */
  fairQueues?: boolean;
  /**
   * A worker pool shared with the other tiers' pollers (local/slot-scheduler.ts): a held message then also waits for
   * the scheduler to give this tier a free slot, and which message starts is decided at that moment.
   * @default none: a message starts as soon as the mapping's maxConcurrency allows
   */
  shared?: { tier: Tier; scheduler: SlotScheduler };
  log: Logger;
}

export interface SqsPoller {
  inFlight(): number;
  /** Stops receiving and waits for the invocations in flight to settle. */
  stop(): Promise<void>;
}

/**
 * Messages the fair-queue emulation holds received but not yet invoked. A held message's visibility is extended
 * halfway through each timeout (12 minutes for the tier queues), so it does not come back while it waits; one that
 * comes back anyway is received again and replaces its stale copy (same MessageId). Enough to see past a pro sweep's
 * chunks to another user's job.
 */
export const FAIR_READ_AHEAD = 256;

/** A message held longer than this gets a fresh visibility timeout when its invocation starts. */
const HELD_REFRESH_AFTER_MS = 100;

/** LOCAL_FAIR_QUEUES, read when a poller starts: `on` (default) or `off`; anything else is refused. */
export function fairQueuesFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.LOCAL_FAIR_QUEUES ?? 'on';
  if (value !== 'on' && value !== 'off') throw new Error(`LOCAL_FAIR_QUEUES must be on or off, got ${JSON.stringify(value)}`);
  return value === 'on';
}

/**
 * A local SQS event source mapping: batch size 1, at most `maxConcurrency` invocations at once, partial batch
 * responses (a record listed in `batchItemFailures`, or a thrown invocation, leaves the message to reappear after
 * its visibility timeout, which the worker may have changed for backoff; success deletes it). The queue's own
 * redrive policy moves a message to the DLQ once it has been received too often, exactly as on AWS. With
 * `fairQueues` (the default) it also emulates SQS fair queues across message groups (see the option).
 */
export async function startSqsPoller(options: SqsPollerOptions): Promise<SqsPoller> {
  const { sqs, queueUrl } = options;
  const waitTimeSeconds = options.waitTimeSeconds ?? 20;
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn', 'VisibilityTimeout'] }));
  const queueArn = Attributes?.QueueArn ?? '';
  const visibilitySeconds = Number(Attributes?.VisibilityTimeout ?? 30);
  // By default the emulation needs a visibility timeout longer than any invocation (the tier queues: 720 s against a
  // 120 s worker timeout). With a shorter one (tests that make killed workers' messages come back quickly), messages of
  // running invocations would reappear and be read ahead again, each time one receive (one attempt) more than SQS
  // with Lambda would count: then the poller keeps plain arrival order unless told otherwise.
  const fair = options.fairQueues ?? (fairQueuesFromEnv() && visibilitySeconds >= WORKER_TIMEOUT_SECONDS);
  const region = queueArn.split(':')[3] ?? 'us-east-1';
  const abort = new AbortController();
  const running = new Set<Promise<void>>();
  /** Received, not yet invoked, in arrival order. */
  const held: Message[] = [];
  /** When each held message (by MessageId) was received or last had its visibility extended. */
  const heldSince = new Map<string, number>();
  const inFlightByGroup = new Map<string, number>();
  let wake: () => void = () => undefined;
  const shared = options.shared;
  shared?.scheduler.register(shared.tier, { ready: canStart, start: startOne });

  /** Room to receive into: without fairness never more than the free slots (a received message is invisible to others). */
  const room = (): number => (fair ? FAIR_READ_AHEAD - held.length : options.maxConcurrency - running.size - held.length);

  async function loop(): Promise<void> {
    while (!abort.signal.aborted) {
      const free = room();
      if (free <= 0) {
        await new Promise<void>((resolve) => { wake = resolve; });
        continue;
      }
      let messages: Message[];
      try {
        const received = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: Math.min(10, free),
            WaitTimeSeconds: waitTimeSeconds,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: abort.signal },
        );
        messages = received.Messages ?? [];
      } catch (error) {
        if (abort.signal.aborted) return;
        options.log.error(`poller ${queueUrl}: ReceiveMessage failed, retrying`, error);
        await sleep(1000);
        continue;
      }
      for (const message of messages) {
        const stale = held.findIndex((m) => m.MessageId === message.MessageId);
        if (stale >= 0) held.splice(stale, 1);
        held.push(message);
        heldSince.set(message.MessageId ?? '', Date.now());
      }
      dispatch();
    }
  }

  /** Starts invocations from the held messages while slots are free (the shared pool's scheduler decides when it is shared). */
  function dispatch(): void {
    if (shared !== undefined) shared.scheduler.pump();
    else while (canStart()) startOne();
    wake();
  }

  function canStart(): boolean {
    return !abort.signal.aborted && running.size < options.maxConcurrency && held.length > 0;
  }

  /** Starts the next held message (the fairest with fair queues); resolves when its invocation has settled. */
  function startOne(): Promise<void> | undefined {
    if (!canStart()) return undefined;
    const index = fair ? fairestIndex() : 0;
    const [message] = held.splice(index, 1);
    const since = heldSince.get(message.MessageId ?? '') ?? Date.now();
    heldSince.delete(message.MessageId ?? '');
    const group = groupOf(message);
    inFlightByGroup.set(group, (inFlightByGroup.get(group) ?? 0) + 1);
    // A message that waited in the hold gets a whole visibility timeout for its invocation, as a fresh receive would.
    const ready =
      Date.now() - since > HELD_REFRESH_AFTER_MS
        ? sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: visibilitySeconds })).then(
            () => undefined,
            (error: unknown) => options.log.error(`poller ${queueUrl}: could not refresh the visibility of ${message.MessageId}`, error),
          )
        : Promise.resolve();
    const task = ready.then(() => handle(message)).finally(() => {
      running.delete(task);
      const left = (inFlightByGroup.get(group) ?? 1) - 1;
      if (left > 0) inFlightByGroup.set(group, left);
      else inFlightByGroup.delete(group);
      dispatch();
    });
    running.add(task);
    return task;
  }

  /** The oldest held message of the group with the fewest invocations in flight (earliest arrival breaks ties). */
  function fairestIndex(): number {
    let best = 0;
    let bestLoad = Number.POSITIVE_INFINITY;
    const seen = new Set<string>();
    for (let i = 0; i < held.length; i++) {
      const group = groupOf(held[i]);
      if (seen.has(group)) continue;
      seen.add(group);
      const load = inFlightByGroup.get(group) ?? 0;
      if (load < bestLoad) {
        best = i;
        bestLoad = load;
        if (load === 0) break;
      }
    }
    return best;
  }

  async function handle(message: Message): Promise<void> {
    const record = toRecord(message, queueArn, region);
    let failed: boolean;
    try {
      const result = (await options.invoke({ Records: [record] })) as SQSBatchResponse | null | undefined;
      failed = (result?.batchItemFailures ?? []).length > 0;
    } catch (error) {
      // A stopping stack terminates its workers: those invocations fail by design, and their messages stay.
      if (!abort.signal.aborted) options.log.error(`poller ${queueUrl}: invocation for message ${record.messageId} failed`, error);
      failed = true;
    }
    if (failed) return;
    try {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    } catch (error) {
      // The message comes back after its visibility timeout; the worker's claim makes a second run harmless.
      options.log.error(`poller ${queueUrl}: DeleteMessage failed for ${record.messageId}`, error);
    }
  }

  // A held message must not come back while it waits for a slot: that would be a receive (and an attempt) more.
  // Halfway through its visibility timeout it gets a fresh one (ChangeMessageVisibility counts no receive).
  const keepHidden = setInterval(() => {
    const due = Date.now() - (visibilitySeconds * 1000) / 2;
    for (const m of held) {
      const since = heldSince.get(m.MessageId ?? '') ?? 0;
      if (since > due) continue;
      heldSince.set(m.MessageId ?? '', Date.now());
      sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: visibilitySeconds })).catch((error: unknown) => {
        options.log.error(`poller ${queueUrl}: could not keep held message ${m.MessageId} hidden`, error);
      });
    }
  }, Math.max(250, (visibilitySeconds * 1000) / 4));
  keepHidden.unref();

  const loopDone = loop();
  return {
    inFlight: () => running.size,
    async stop() {
      abort.abort();
      if (shared !== undefined) shared.scheduler.unregister(shared.tier);
      clearInterval(keepHidden);
      wake();
      await loopDone;
      // Messages read ahead but never invoked go back to the queue at once instead of after the visibility timeout.
      const release = held.splice(0);
      await Promise.allSettled(release.map((m) => sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }))));
      await Promise.allSettled([...running]);
    },
  };
}

/**
 * The fairness key: the message group (what SqsJobQueue sends: the user id) where the emulator returns it, else the
 * `userId` of a job message body (fauxqs keeps no group id on standard queues), else the message itself.
 */
export function groupOf(message: Message): string {
  const group = message.Attributes?.MessageGroupId;
  if (group) return `g:${group}`;
  try {
    const body = JSON.parse(message.Body ?? '') as { userId?: unknown };
    if (typeof body.userId === 'string' && body.userId.length > 0) return `g:${body.userId}`;
  } catch {
    // not JSON: its own group
  }
  return `message:${message.MessageId ?? ''}`;
}

/** The record shape Lambda's SQS event source hands the function. */
export function toRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const attrs = message.Attributes ?? {};
  const messageAttributes: SQSRecord['messageAttributes'] = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      dataType: value.DataType ?? 'String',
      stringValue: value.StringValue,
      binaryValue: value.BinaryValue === undefined ? undefined : Buffer.from(value.BinaryValue).toString('base64'),
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
    };
  }
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attrs.ApproximateReceiveCount ?? '1',
      SentTimestamp: attrs.SentTimestamp ?? String(Date.now()),
      SenderId: attrs.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attrs.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
