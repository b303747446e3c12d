/**
 * DynamoDB table layouts as plain data. The DynamoDB adapters read and write these attributes; the CDK
 * stateful stack and the local stack both create the tables from these definitions, so the three cannot drift.
 * No CDK or SDK imports here: consumers map this to their own types.
 */
export interface KeyAttr { name: string; type: 'S' | 'N' }
export interface IndexDef { indexName: string; partitionKey: KeyAttr; sortKey?: KeyAttr; projection: 'ALL' | 'KEYS_ONLY' }
export interface TableDef {
  /** Logical id: the CDK construct id and, locally, the table name (prefixed by the stack's name prefix). */
  id: 'Jobs' | 'Connections' | 'Users' | 'Leaderboard';
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

/**
 * Leaderboard (docs/leaderboard.md): `BOARD#<board>` / `ENTRY#<entryId>` a published entry (JSON, with one rank key
 * per metric), `BOARD#<board>` / `OWNER#<hash of user and strategy>` which entry is that owner's (one per user,
 * strategy and board), `PENDING#<jobId>` / `PENDING` a publication waiting for its out-of-sample job, and
 * `RATE#<userId>` / `PUBLISH#<hour>` the publish counter (TTL). One sparse index per ranking metric: only entry items
 * carry `board` and the rank keys, so a board is read best first with one Query (no scan).
 */
export const LEADERBOARD_TABLE: TableDef = {
  id: 'Leaderboard',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  globalSecondaryIndexes: [
    { indexName: 'byRankSharpe', partitionKey: { name: 'board', type: 'S' }, sortKey: { name: 'rankSharpe', type: 'S' }, projection: 'ALL' },
    { indexName: 'byRankReturn', partitionKey: { name: 'board', type: 'S' }, sortKey: { name: 'rankReturn', type: 'S' }, projection: 'ALL' },
    { indexName: 'byRankMaxDrawdown', partitionKey: { name: 'board', type: 'S' }, sortKey: { name: 'rankMaxDrawdown', type: 'S' }, projection: 'ALL' },
    { indexName: 'byRankSortino', partitionKey: { name: 'board', type: 'S' }, sortKey: { name: 'rankSortino', type: 'S' }, projection: 'ALL' },
    { indexName: 'byRankCalmar', partitionKey: { name: 'board', type: 'S' }, sortKey: { name: 'rankCalmar', type: 'S' }, projection: 'ALL' },
  ],
  timeToLiveAttribute: 'expiresAt',
};

export const TABLES: readonly TableDef[] = [JOBS_TABLE, CONNECTIONS_TABLE, USERS_TABLE, LEADERBOARD_TABLE];
