import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type CreateTableCommandInput,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { TABLES, type TableDef } from '../lambdas/adapters/table-schema.ts';
import { MAX_RECEIVE_COUNT, TIERS, VISIBILITY_TIMEOUT_SECONDS, type Tier } from '../lambdas/core/tiers.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './emulators.ts';

/**
 * Creates the tables and queues of the stack on the emulators, from the same definitions the CDK stack uses
 * (lambdas/adapters/table-schema.ts, lambdas/core/tiers.ts). Safe to call again on existing resources.
 */

export interface ResourceOptions {
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  /** Prepended to every table and queue name (`<prefix>-Jobs`, `<prefix>-free`), so runs and tests do not collide. */
  prefix: string;
  /** Queue visibility timeout; tests shorten it to see redelivery and dead-lettering quickly. @default VISIBILITY_TIMEOUT_SECONDS */
  visibilityTimeoutSeconds?: number;
  /** @default MAX_RECEIVE_COUNT */
  maxReceiveCount?: number;
}

export interface TierQueueResources {
  name: string;
  url: string;
  arn: string;
  dlqName: string;
  dlqUrl: string;
  dlqArn: string;
}

export interface LocalResources {
  tables: { jobs: string; connections: string; users: string; leaderboard: string };
  /** Stream of the Jobs table (the progress notifier's source). */
  jobsStreamArn: string;
  queues: Record<Tier, TierQueueResources>;
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
  /**
   * The environment the handlers read (docs/wiring.md): table names, queue URLs, and the SDK's standard
   * endpoint, region and credential variables pointing at the emulators.
   */
  env: Record<string, string>;
}

export function tableName(prefix: string, def: Pick<TableDef, 'id'>): string {
  return `${prefix}-${def.id}`;
}

export async function createResources(options: ResourceOptions): Promise<LocalResources> {
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(options.prefix)) {
    throw new Error(`prefix must be 1-40 letters, digits, - or _ (valid in table and queue names), got "${options.prefix}"`);
  }
  const visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? VISIBILITY_TIMEOUT_SECONDS;
  const maxReceiveCount = options.maxReceiveCount ?? MAX_RECEIVE_COUNT;
  const dynamo = new DynamoDBClient({ endpoint: options.dynamodbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const sqs = new SQSClient({ endpoint: options.sqsEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  try {
    const [described, queueList] = await Promise.all([
      Promise.all(TABLES.map((def) => ensureTable(dynamo, def, tableName(options.prefix, def)))),
      Promise.all(TIERS.map((tier) => ensureTierQueues(sqs, options.sqsEndpoint, options.prefix, tier, visibilityTimeoutSeconds, maxReceiveCount))),
    ]);
    const byId = Object.fromEntries(TABLES.map((def, i) => [def.id, described[i]])) as Record<TableDef['id'], TableDescription>;
    const queues = Object.fromEntries(TIERS.map((tier, i) => [tier, queueList[i]])) as Record<Tier, TierQueueResources>;
    const tables = {
      jobs: byId.Jobs.TableName!,
      connections: byId.Connections.TableName!,
      users: byId.Users.TableName!,
      leaderboard: byId.Leaderboard.TableName!,
    };
    const env: Record<string, string> = {
      JOBS_TABLE: tables.jobs,
      CONNECTIONS_TABLE: tables.connections,
      USERS_TABLE: tables.users,
      LEADERBOARD_TABLE: tables.leaderboard,
      AWS_ENDPOINT_URL_DYNAMODB: options.dynamodbEndpoint,
      AWS_ENDPOINT_URL_DYNAMODB_STREAMS: options.dynamodbEndpoint,
      AWS_ENDPOINT_URL_SQS: options.sqsEndpoint,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    };
    for (const tier of TIERS) {
      env[`QUEUE_URL_${tier.toUpperCase()}`] = queues[tier].url;
      env[`DLQ_URL_${tier.toUpperCase()}`] = queues[tier].dlqUrl;
    }
    return {
      tables,
      jobsStreamArn: byId.Jobs.LatestStreamArn ?? '',
      queues,
      visibilityTimeoutSeconds,
      maxReceiveCount,
      env,
    };
  } finally {
    dynamo.destroy();
    sqs.destroy();
  }
}

export function createTableInput(def: TableDef, name: string): CreateTableCommandInput {
  const attributes = new Map<string, AttributeDefinition>();
  const keyAttrs = [def.partitionKey, def.sortKey, ...def.globalSecondaryIndexes.flatMap((i) => [i.partitionKey, i.sortKey])];
  for (const attr of keyAttrs) {
    if (attr) attributes.set(attr.name, { AttributeName: attr.name, AttributeType: attr.type });
  }
  const keySchema = (pk: TableDef['partitionKey'], sk: TableDef['sortKey']) => [
    { AttributeName: pk.name, KeyType: 'HASH' as const },
    ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' as const }] : []),
  ];
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes.values()],
    KeySchema: keySchema(def.partitionKey, def.sortKey),
    GlobalSecondaryIndexes: def.globalSecondaryIndexes.length
      ? def.globalSecondaryIndexes.map((index) => ({
          IndexName: index.indexName,
          KeySchema: keySchema(index.partitionKey, index.sortKey),
          Projection: { ProjectionType: index.projection },
        }))
      : undefined,
    StreamSpecification: def.stream ? { StreamEnabled: true, StreamViewType: def.stream } : undefined,
  };
}

async function ensureTable(client: DynamoDBClient, def: TableDef, name: string): Promise<TableDescription> {
  try {
    await client.send(new CreateTableCommand(createTableInput(def, name)));
    if (def.timeToLiveAttribute) {
      // DynamoDB Local accepts the setting; whether it ever deletes expired items is not something the app relies on.
      await client.send(
        new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { Enabled: true, AttributeName: def.timeToLiveAttribute } }),
      );
    }
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
  if (!Table) throw new Error(`table ${name} was not created`);
  return Table;
}

/**
 * fauxqs answers with URLs on `sqs.<region>.localhost`; the SDK, when its endpoint comes from AWS_ENDPOINT_URL_SQS,
 * sends to the queue URL's host instead (and warns). On the emulator's own origin both agree and every client works.
 */
function onEndpoint(queueUrl: string, endpoint: string): string {
  return new URL(new URL(queueUrl).pathname, endpoint).toString();
}

async function ensureQueue(
  client: SQSClient,
  endpoint: string,
  name: string,
  attributes: Record<string, string>,
): Promise<{ url: string; arn: string }> {
  let url: string;
  try {
    ({ QueueUrl: url = '' } = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes })));
  } catch (error) {
    // Same name, other attributes (e.g. a persisted queue from a run with another visibility): bring it up to date.
    if (!isQueueNameExists(error)) throw error;
    ({ QueueUrl: url = '' } = await client.send(new GetQueueUrlCommand({ QueueName: name })));
    await client.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
  }
  const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = Attributes?.QueueArn;
  if (!url || !arn) throw new Error(`queue ${name} was not created`);
  return { url: onEndpoint(url, endpoint), arn };
}

async function ensureTierQueues(
  client: SQSClient,
  endpoint: string,
  prefix: string,
  tier: Tier,
  visibilityTimeoutSeconds: number,
  maxReceiveCount: number,
): Promise<TierQueueResources> {
  const name = `${prefix}-${tier}`;
  const dlqName = `${name}-dlq`;
  // Two weeks, the SQS maximum, so a dead letter is there when someone looks.
  const dlq = await ensureQueue(client, endpoint, dlqName, { MessageRetentionPeriod: '1209600' });
  const queue = await ensureQueue(client, endpoint, name, {
    VisibilityTimeout: String(visibilityTimeoutSeconds),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: String(maxReceiveCount) }),
  });
  return { name, url: queue.url, arn: queue.arn, dlqName, dlqUrl: dlq.url, dlqArn: dlq.arn };
}

/** fauxqs reports the conflict with the query-protocol code, which the SDK does not map to its QueueNameExists class. */
function isQueueNameExists(error: unknown): boolean {
  const e = error as { name?: string; Code?: string };
  return [e.name, e.Code].some((code) => code === 'QueueNameExists' || code === 'QueueAlreadyExists' || code === 'AWS.SimpleQueueService.QueueNameExists');
}
