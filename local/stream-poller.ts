import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type DynamoDBStreamsClient,
  type Shard,
  type _Record as StreamRecord,
  type AttributeValue as StreamAttributeValue,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { matchesAny, type FilterPattern } from './event-filter.ts';
import type { Logger } from './http-util.ts';

/** The stream event source mapping's settings; the same numbers and filter as the CDK mapping. */
export interface StreamMappingSettings {
  /** Where reading starts on the shards open when the mapping starts: only new records, or all the stream holds. */
  startingPosition: 'LATEST' | 'TRIM_HORIZON';
  batchSize: number;
  retryAttempts: number;
  bisectBatchOnError: boolean;
  reportBatchItemFailures: boolean;
  /** Records older than this are not delivered but sent to the on-failure destination. */
  maxRecordAgeSeconds: number;
  /** FilterCriteria patterns; a record must match one. */
  filters: readonly FilterPattern[];
  /**
   * Batches delivered at once per shard (Lambda's ParallelizationFactor): records go to a lane by their key, so one
   * item's records stay in order, and a slow batch holds back only its own lane. @default 1
   */
  parallelizationFactor?: number;
}

export interface StreamFailure {
  shardId: string;
  reason: 'RetryAttemptsExhausted' | 'RecordAgeExceeded';
  firstSequenceNumber: string;
  lastSequenceNumber: string;
  batchSize: number;
}

export interface StreamPollerOptions {
  client: DynamoDBStreamsClient;
  streamArn: string;
  settings: StreamMappingSettings;
  invoke(event: DynamoDBStreamEvent): Promise<unknown>;
  /** Where a batch goes when retries are exhausted (the mapping's on-failure destination). */
  onFailure(failure: StreamFailure): Promise<void>;
  /** Pause after an empty GetRecords. Small, because progress must feel instant. @default 50 */
  pollIntervalMs?: number;
  /** How often to look for new shards. @default 1000 */
  discoverIntervalMs?: number;
  /**
   * A pause switch another thread can flip (element 0: 1 = paused), checked before each GetRecords like pause(): the
   * stack's test hooks pause a mapping that runs in its own thread without a message round trip, so the pause holds
   * from the moment the switch is set. @default none
   */
  pausedFlag?: Int32Array;
  log: Logger;
}

export interface StreamPoller {
  /** Resolves once every shard open at start has a LATEST iterator: writes after this are delivered. */
  ready: Promise<void>;
  /**
   * Test hook (fault tests): stop reading the stream, as a throttled or stalled event source mapping would. Records
   * keep accumulating in the stream; a batch already being delivered finishes. Nothing calls this in normal runs.
   */
  pause(): void;
  /** Test hook: read on from where each shard stopped. */
  resume(): void;
  stop(): Promise<void>;
}

/**
 * A local DynamoDB Streams event source mapping: one reader per shard (records of a shard stay in order),
 * the mapping's filter, batches of `batchSize`, and on failure the Lambda semantics: partial batch responses
 * checkpoint up to the first failed record, the rest is retried (halved first with bisect) at most
 * `retryAttempts` times, then reported to `onFailure` and skipped so the shard keeps moving.
 */
export function startStreamPoller(options: StreamPollerOptions): StreamPoller {
  const pollIntervalMs = options.pollIntervalMs ?? 50;
  const discoverIntervalMs = options.discoverIntervalMs ?? 1000;
  const { settings } = options;
  const stopping = new AbortController();
  const readers = new Map<string, Promise<void>>();
  const region = options.streamArn.split(':')[3] ?? 'us-east-1';
  // Open unless a test paused the mapping; readers wait on it before each GetRecords.
  let gate: { promise: Promise<void>; open(): void } | undefined;

  async function listShards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let exclusiveStartShardId: string | undefined;
    do {
      const { StreamDescription } = await options.client.send(
        new DescribeStreamCommand({ StreamArn: options.streamArn, ExclusiveStartShardId: exclusiveStartShardId }),
        { abortSignal: stopping.signal },
      );
      shards.push(...(StreamDescription?.Shards ?? []));
      exclusiveStartShardId = StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId !== undefined);
    return shards;
  }

  async function discover(initial: boolean): Promise<void> {
    const shards = await listShards();
    const starts: Promise<void>[] = [];
    for (const shard of shards) {
      const shardId = shard.ShardId;
      if (shardId === undefined || readers.has(shardId)) continue;
      const open = shard.SequenceNumberRange?.EndingSequenceNumber === undefined;
      // From LATEST, only the open shards matter at start; a shard that appears later is a child of one we read, so
      // it is read from its beginning. From TRIM_HORIZON every shard is read from its beginning.
      const fromLatest = initial && settings.startingPosition === 'LATEST';
      if (fromLatest && !open) {
        readers.set(shardId, Promise.resolve());
        continue;
      }
      const iteratorType = fromLatest ? 'LATEST' : 'TRIM_HORIZON';
      const started = options.client
        .send(new GetShardIteratorCommand({ StreamArn: options.streamArn, ShardId: shardId, ShardIteratorType: iteratorType }), { abortSignal: stopping.signal })
        .then(({ ShardIterator }) => {
          readers.set(shardId, readShard(shardId, ShardIterator));
        });
      readers.set(shardId, started);
      starts.push(started);
    }
    await Promise.all(starts);
  }

  async function freshIterator(shardId: string, after: string | undefined): Promise<string | undefined> {
    if (after !== undefined) {
      try {
        const { ShardIterator } = await options.client.send(
          new GetShardIteratorCommand({ StreamArn: options.streamArn, ShardId: shardId, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }),
          { abortSignal: stopping.signal },
        );
        return ShardIterator;
      } catch (error) {
        if ((error as { name?: string }).name !== 'TrimmedDataAccessException') throw error;
      }
    }
    const { ShardIterator } = await options.client.send(
      new GetShardIteratorCommand({ StreamArn: options.streamArn, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
      { abortSignal: stopping.signal },
    );
    return ShardIterator;
  }

  async function readShard(shardId: string, iterator: string | undefined): Promise<void> {
    let current = iterator;
    let lastSequence: string | undefined;
    const factor = settings.parallelizationFactor ?? 1;
    const lanes: Lane[] | undefined = factor > 1 ? Array.from({ length: factor }, () => ({ queue: [], running: undefined })) : undefined;
    while (current !== undefined && !stopping.signal.aborted) {
      if (gate !== undefined) {
        await Promise.race([gate.promise, new Promise((resolve) => stopping.signal.addEventListener('abort', resolve, { once: true }))]);
        continue;
      }
      if (options.pausedFlag !== undefined && Atomics.load(options.pausedFlag, 0) === 1) {
        await sleep(pollIntervalMs, stopping.signal);
        continue;
      }
      let records: StreamRecord[];
      try {
        const out = await options.client.send(new GetRecordsCommand({ ShardIterator: current, Limit: 1000 }), { abortSignal: stopping.signal });
        records = out.Records ?? [];
        current = out.NextShardIterator;
      } catch (error) {
        if (stopping.signal.aborted) return;
        const name = (error as { name?: string }).name;
        if (name === 'TrimmedDataAccessException' || name === 'ExpiredIteratorException') {
          // Resume right after the last record handled; if that is gone too, from the oldest record kept.
          current = await freshIterator(shardId, lastSequence);
          continue;
        }
        options.log.error(`stream poller: GetRecords on ${shardId} failed, retrying`, error);
        await sleep(500);
        continue;
      }
      lastSequence = records.at(-1)?.dynamodb?.SequenceNumber ?? lastSequence;
      const events = records.map((r) => toLambdaRecord(r, options.streamArn, region));
      const fresh: DynamoDBRecord[] = [];
      for (const event of events) {
        const ageSeconds = Date.now() / 1000 - (event.dynamodb?.ApproximateCreationDateTime ?? Date.now() / 1000);
        if (ageSeconds > settings.maxRecordAgeSeconds) await reportFailure(shardId, 'RecordAgeExceeded', [event]);
        else if (matchesAny(settings.filters, event)) fresh.push(event);
      }
      if (lanes === undefined) {
        for (let i = 0; i < fresh.length; i += settings.batchSize) {
          await deliver(shardId, fresh.slice(i, i + settings.batchSize), settings.retryAttempts);
        }
      } else {
        for (const event of fresh) lanes[laneOf(event, lanes.length)].queue.push(event);
        for (const lane of lanes) runLane(shardId, lane);
        // Read ahead at most a few batches per lane: a stalled notifier must not pull the whole stream into memory.
        while (lanes.some((l) => l.queue.length > LANE_READ_AHEAD_BATCHES * settings.batchSize) && !stopping.signal.aborted) {
          await Promise.race(lanes.map((l) => l.running ?? new Promise<void>(() => undefined)));
        }
      }
      if (records.length === 0) await sleep(pollIntervalMs);
    }
    // The shard's records are all delivered before its children's (and before a stop returns).
    if (lanes !== undefined) await Promise.all(lanes.map((l) => l.running));
    // A closed shard has children; look for them now rather than at the next discovery tick.
    if (!stopping.signal.aborted) await discover(false).catch((error: unknown) => options.log.error('stream poller: shard discovery failed', error));
  }

  /** Delivers the lane's records in order, a batch at a time, until its queue is empty. */
  function runLane(shardId: string, lane: Lane): void {
    if (lane.running !== undefined || lane.queue.length === 0) return;
    lane.running = (async () => {
      while (lane.queue.length > 0 && !stopping.signal.aborted) await deliver(shardId, lane.queue.splice(0, settings.batchSize), settings.retryAttempts);
      lane.queue.length = 0;
      lane.running = undefined;
    })();
  }

  async function deliver(shardId: string, batch: DynamoDBRecord[], retriesLeft: number): Promise<void> {
    if (batch.length === 0 || stopping.signal.aborted) return;
    let failedFrom: number;
    try {
      const result = (await options.invoke({ Records: batch })) as DynamoDBBatchResponse | null | undefined;
      const failures = settings.reportBatchItemFailures ? (result?.batchItemFailures ?? []) : [];
      if (failures.length === 0) return;
      const indices = failures.map((f) => batch.findIndex((r) => r.dynamodb?.SequenceNumber === f.itemIdentifier));
      // An identifier that names no record in the batch fails the whole batch, as Lambda treats it.
      failedFrom = indices.some((i) => i < 0) ? 0 : Math.min(...indices);
    } catch (error) {
      options.log.error(`stream poller: invocation failed for ${batch.length} record(s) on ${shardId}`, error);
      failedFrom = 0;
    }
    const rest = batch.slice(failedFrom);
    if (retriesLeft <= 0) {
      await reportFailure(shardId, 'RetryAttemptsExhausted', rest);
      return;
    }
    await sleep(Math.min(1000, 100 * 2 ** (settings.retryAttempts - retriesLeft)));
    if (settings.bisectBatchOnError && rest.length > 1) {
      const half = Math.ceil(rest.length / 2);
      await deliver(shardId, rest.slice(0, half), retriesLeft - 1);
      await deliver(shardId, rest.slice(half), retriesLeft - 1);
    } else {
      await deliver(shardId, rest, retriesLeft - 1);
    }
  }

  async function reportFailure(shardId: string, reason: StreamFailure['reason'], records: DynamoDBRecord[]): Promise<void> {
    const failure: StreamFailure = {
      shardId,
      reason,
      firstSequenceNumber: records[0]?.dynamodb?.SequenceNumber ?? '',
      lastSequenceNumber: records.at(-1)?.dynamodb?.SequenceNumber ?? '',
      batchSize: records.length,
    };
    try {
      await options.onFailure(failure);
    } catch (error) {
      options.log.error('stream poller: on-failure destination failed', error);
    }
  }

  const ready = discover(true);
  const discovery = (async () => {
    await ready.catch(() => undefined);
    while (!stopping.signal.aborted) {
      await sleep(discoverIntervalMs, stopping.signal);
      if (stopping.signal.aborted) break;
      await discover(false).catch((error: unknown) => {
        if (!stopping.signal.aborted) options.log.error('stream poller: shard discovery failed', error);
      });
    }
  })();

  return {
    ready,
    pause() {
      if (gate !== undefined) return;
      let open: () => void = () => undefined;
      const promise = new Promise<void>((resolve) => { open = resolve; });
      gate = { promise, open };
    },
    resume() {
      const paused = gate;
      gate = undefined;
      paused?.open();
    },
    async stop() {
      stopping.abort();
      await discovery;
      await Promise.allSettled([...readers.values()]);
    },
  };
}

/** One of a shard's concurrent batch lanes (parallelizationFactor > 1). */
interface Lane {
  queue: DynamoDBRecord[];
  running: Promise<void> | undefined;
}

/** Batches a lane may have read ahead before the reader waits for it. */
const LANE_READ_AHEAD_BATCHES = 4;

/** The lane of a record: by its item's key, so one item's changes keep their order (Lambda keys on the partition key). */
export function laneOf(record: DynamoDBRecord, lanes: number): number {
  const key = JSON.stringify(record.dynamodb?.Keys ?? {});
  let h = 0;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return h % lanes;
}

/** A stream record as the SDK returns it → the record Lambda hands the function (JSON attribute values). */
export function toLambdaRecord(record: StreamRecord, streamArn: string, region: string): DynamoDBRecord {
  const d = record.dynamodb ?? {};
  const created = d.ApproximateCreationDateTime;
  return {
    eventID: record.eventID,
    eventName: record.eventName as DynamoDBRecord['eventName'],
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: record.awsRegion ?? region,
    eventSourceARN: streamArn,
    dynamodb: {
      ApproximateCreationDateTime: created === undefined ? Date.now() / 1000 : Math.floor(new Date(created).getTime() / 1000),
      Keys: d.Keys === undefined ? undefined : imageToJson(d.Keys),
      NewImage: d.NewImage === undefined ? undefined : imageToJson(d.NewImage),
      OldImage: d.OldImage === undefined ? undefined : imageToJson(d.OldImage),
      SequenceNumber: d.SequenceNumber,
      SizeBytes: d.SizeBytes,
      StreamViewType: d.StreamViewType,
    },
  } as DynamoDBRecord;
}

type JsonAttributeValue = Record<string, unknown>;

function imageToJson(image: Record<string, StreamAttributeValue>): Record<string, JsonAttributeValue> {
  return Object.fromEntries(Object.entries(image).map(([k, v]) => [k, attributeToJson(v)]));
}

/** Binary values are base64 strings in Lambda events; the SDK hands them over as bytes. */
function attributeToJson(value: StreamAttributeValue): JsonAttributeValue {
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.BS !== undefined) return { BS: value.BS.map((b) => Buffer.from(b).toString('base64')) };
  if (value.M !== undefined) return { M: imageToJson(value.M) };
  if (value.L !== undefined) return { L: value.L.map(attributeToJson) };
  const { $unknown: _ignored, ...rest } = value as StreamAttributeValue & { $unknown?: unknown };
  const present = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  // The SDK hands an empty map (`{"M":{}}` on the wire) over as `{}`; unmarshall would throw on it.
  if (Object.keys(present).length === 0) return { M: {} };
  return present;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}
