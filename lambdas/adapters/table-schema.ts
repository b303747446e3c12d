/**
 * DynamoDB table layouts as plain data. The DynamoDB adapters read and write these attributes; the CDK
 * stateful stack and the local stack both create the tables from these definitions, so the three cannot drift.
 * No CDK or SDK imports here: consumers map this to their own types.
 */
export interface KeyAttr { name: string; type: 'S' | 'N' }
export interface IndexDef { indexName: string; partitionKey: KeyAttr; sortKey?: KeyAttr; projection: 'ALL' | 'KEYS_ONLY' }
export interface TableDef {
  /** Logical id: the CDK construct id and, locally, the table name (prefixed by the stack's name prefix). */
  id: 'Jobs' | 'Connections' | 'Users';
  partitionKey: KeyAttr;
  sortKey?: KeyAttr;
  globalSecondaryIndexes: IndexDef[];
  timeToLiveAttribute?: string;
  stream?: 'NEW_AND_OLD_IMAGES' | 'NEW_IMAGE';
}

/**
 * Jobs: one item per job. `byUser` lists a user's jobs newest first. `byQueueState` is sparse: `queueState`
 * (`<tier>#<status>`) is set only while a job is queued or running, so the admin view and the stuck-job
 * sweeper read only live jobs. The stream feeds the progress notifier.
 */
export const JOBS_TABLE: TableDef = {
  id: 'Jobs',
  partitionKey: { name: 'jobId', type: 'S' },
  globalSecondaryIndexes: [
    { indexName: 'byUser', partitionKey: { name: 'userId', type: 'S' }, sortKey: { name: 'createdAt', type: 'S' }, projection: 'ALL' },
    { indexName: 'byQueueState', partitionKey: { name: 'queueState', type: 'S' }, sortKey: { name: 'createdAt', type: 'S' }, projection: 'KEYS_ONLY' },
  ],
  timeToLiveAttribute: 'expiresAt',
  stream: 'NEW_AND_OLD_IMAGES',
};

/**
 * Connections: `CONN#<id>` / `META` holds the connection's user; a subscription is written twice,
 * `JOB#<jobId>` / `CONN#<id>` (who to notify) and `CONN#<id>` / `SUB#<jobId>` (what to clean up on disconnect).
 */
export const CONNECTIONS_TABLE: TableDef = {
  id: 'Connections',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  globalSecondaryIndexes: [],
  timeToLiveAttribute: 'expiresAt',
};

/**
 * Users: `USER#<id>` / `PROFILE` (credits, tier override), `USER#<id>` / `DAY#<yyyy-mm-dd>` (daily submission
 * counter), `USER#<id>` / `IDEM#<key>` (idempotency records, 24 h TTL).
 */
export const USERS_TABLE: TableDef = {
  id: 'Users',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  globalSecondaryIndexes: [],
  timeToLiveAttribute: 'expiresAt',
};

export const TABLES: readonly TableDef[] = [JOBS_TABLE, CONNECTIONS_TABLE, USERS_TABLE];
