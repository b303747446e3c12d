import { DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Logger } from './http-util.ts';

export interface SqsPollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  /** Most invocations in flight at once: the event source mapping's `maxConcurrency`. */
  maxConcurrency: number;
  /** Runs the function with a one-record event; resolves to its result. */
  invoke(event: SQSEvent): Promise<unknown>;
  /** Long-poll wait per ReceiveMessage. @default 20 (the SQS maximum, as Lambda's pollers use) */
  waitTimeSeconds?: number;
  log: Logger;
}

export interface SqsPoller {
  inFlight(): number;
  /** Stops receiving and waits for the invocations in flight to settle. */
  stop(): Promise<void>;
}

/**
 * A local SQS event source mapping: batch size 1, at most `maxConcurrency` invocations at once, partial batch
 * responses (a record listed in `batchItemFailures`, or a thrown invocation, leaves the message to reappear after
 * its visibility timeout, which the worker may have changed for backoff; success deletes it). The queue's own
 * redrive policy moves a message to the DLQ once it has been received too often, exactly as on AWS.
 */
export async function startSqsPoller(options: SqsPollerOptions): Promise<SqsPoller> {
  const { sqs, queueUrl } = options;
  const waitTimeSeconds = options.waitTimeSeconds ?? 20;
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const queueArn = Attributes?.QueueArn ?? '';
  const region = queueArn.split(':')[3] ?? 'us-east-1';
  const abort = new AbortController();
  const running = new Set<Promise<void>>();
  let slotFreed: () => void = () => undefined;

  async function loop(): Promise<void> {
    while (!abort.signal.aborted) {
      const free = options.maxConcurrency - running.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => { slotFreed = resolve; });
        continue;
      }
      let messages: Message[];
      try {
        // Never take more than there are free slots: a received message is invisible to everyone else.
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
        const task = handle(message).finally(() => {
          running.delete(task);
          slotFreed();
        });
        running.add(task);
      }
    }
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

  const loopDone = loop();
  return {
    inFlight: () => running.size,
    async stop() {
      abort.abort();
      slotFreed();
      await loopDone;
      await Promise.allSettled([...running]);
    },
  };
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
