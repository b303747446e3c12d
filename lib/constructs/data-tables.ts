import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLES, type KeyAttr, type TableDef } from '../../lambdas/adapters/table-schema.ts';

export type TableId = TableDef['id'];

const ATTRIBUTE_TYPES: Record<KeyAttr['type'], dynamodb.AttributeType> = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
};
const STREAM_VIEWS: Record<NonNullable<TableDef['stream']>, dynamodb.StreamViewType> = {
  NEW_AND_OLD_IMAGES: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
  NEW_IMAGE: dynamodb.StreamViewType.NEW_IMAGE,
};
const PROJECTIONS: Record<'ALL' | 'KEYS_ONLY', dynamodb.ProjectionType> = {
  ALL: dynamodb.ProjectionType.ALL,
  KEYS_ONLY: dynamodb.ProjectionType.KEYS_ONLY,
};

const attribute = (key: KeyAttr): dynamodb.Attribute => ({ name: key.name, type: ATTRIBUTE_TYPES[key.type] });

/**
 * The three tables, built from `lambdas/adapters/table-schema.ts` (the same data the local stack creates its
 * tables from), so the adapters, the cloud and the laptop agree on keys, indexes, TTL and streams.
 * Jobs, users' credits and connections are state: the tables are retained when the stack is deleted.
 */
export class DataTables extends Construct {
  readonly byId: Record<TableId, dynamodb.Table>;

  constructor(scope: Construct, id: string, definitions: readonly TableDef[] = TABLES) {
    super(scope, id);
    const byId = {} as Record<TableId, dynamodb.Table>;
    for (const def of definitions) {
      const table = new dynamodb.Table(this, def.id, {
        partitionKey: attribute(def.partitionKey),
        sortKey: def.sortKey ? attribute(def.sortKey) : undefined,
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        timeToLiveAttribute: def.timeToLiveAttribute,
        stream: def.stream ? STREAM_VIEWS[def.stream] : undefined,
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        removalPolicy: RemovalPolicy.RETAIN,
        // RETAIN covers a stack deletion; this also stops a console click or a stray `aws dynamodb delete-table`.
        deletionProtection: true,
      });
      for (const index of def.globalSecondaryIndexes) {
        table.addGlobalSecondaryIndex({
          indexName: index.indexName,
          partitionKey: attribute(index.partitionKey),
          sortKey: index.sortKey ? attribute(index.sortKey) : undefined,
          projectionType: PROJECTIONS[index.projection],
        });
      }
      byId[def.id] = table;
    }
    this.byId = byId;
  }
}
