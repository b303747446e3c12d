import { randomUUID } from 'node:crypto';
import { QueryCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '../core/errors.ts';
import type { LedgerEntry, LedgerKind, LedgerPage } from '../core/ports/account-store.ts';
import { isTier } from '../core/tiers.ts';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * The credits ledger, in the Users table next to the balance it explains: `USER#<id>` / `LEDGER#<at>#<kind>#<ref>`.
 * Same partition as the `PROFILE` item, so the entry and the balance change go into one transaction, and the
 * table is in the stateful stack (retained, deletion-protected, point-in-time recovery) with the balances.
 *
 * Every entry is written with UpdateItem conditional on the item not existing: append-only by construction, and
 * the functions that move credits need no PutItem on the Users table. Entries carry no `expiresAt`: the table's
 * TTL never removes them.
 */
export const LEDGER_PREFIX = 'LEDGER#';
/** Sorts before every dated entry, so the opening balance is the oldest line. */
const OPENING_SK = `${LEDGER_PREFIX}0000-opening`;

export interface NewLedgerEntry {
  userId: string;
  at: string;
  kind: Exclude<LedgerKind, 'opening'>;
  amount: number;
  jobId?: string;
  by?: string;
  tierFrom?: string;
  tierTo?: string;
}

/** An append-only ledger line for a transaction (`attribute_not_exists`: it never overwrites an entry). */
export function ledgerEntryItem(table: string, entry: NewLedgerEntry): TransactItem {
  const ref = entry.jobId ?? randomUUID();
  const fields: Record<string, unknown> = { kind: entry.kind, amount: entry.amount, at: entry.at };
  if (entry.jobId !== undefined) fields.jobId = entry.jobId;
  if (entry.by !== undefined) fields.by = entry.by;
  if (entry.tierFrom !== undefined) fields.tierFrom = entry.tierFrom;
  if (entry.tierTo !== undefined) fields.tierTo = entry.tierTo;
  const names = Object.keys(fields);
  return {
    Update: {
      TableName: table,
      Key: { pk: `USER#${entry.userId}`, sk: `${LEDGER_PREFIX}${entry.at}#${entry.kind}#${ref}` },
      UpdateExpression: `SET ${names.map((n) => `#${n} = :${n}`).join(', ')}`,
      ConditionExpression: 'attribute_not_exists(pk)',
      ExpressionAttributeNames: Object.fromEntries(names.map((n) => [`#${n}`, n])),
      ExpressionAttributeValues: Object.fromEntries(names.map((n) => [`:${n}`, fields[n]])),
    },
  };
}

/**
 * The `opening` line, for a transaction that may create the account (`credits = if_not_exists(credits, :initial)`
 * beside it): it sets the same starting amount the same way, so it appears exactly when the account does and is
 * left alone afterwards, whatever tier the later movements run under.
 */
export function openingEntryItem(table: string, userId: string, initialCredits: number, now: string): TransactItem {
  return {
    Update: {
      TableName: table,
      Key: { pk: `USER#${userId}`, sk: OPENING_SK },
      UpdateExpression: 'SET #kind = if_not_exists(#kind, :kind), amount = if_not_exists(amount, :initial), #at = if_not_exists(#at, :now)',
      ExpressionAttributeNames: { '#kind': 'kind', '#at': 'at' },
      ExpressionAttributeValues: { ':kind': 'opening', ':initial': initialCredits, ':now': now },
    },
  };
}

/** A user's ledger, newest first, paged with an opaque cursor that names the last entry of a page. */
export async function queryLedger(client: DynamoDBDocumentClient, table: string, userId: string, query: { limit: number; cursor?: string }): Promise<LedgerPage> {
  if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > 1000) {
    throw new ValidationError([{ path: 'limit', message: 'must be an integer from 1 to 1000' }]);
  }
  const pk = `USER#${userId}`;
  const after = query.cursor !== undefined ? decodeCursor(query.cursor) : undefined;
  const { Items, LastEvaluatedKey } = await client.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': LEDGER_PREFIX },
      ScanIndexForward: false,
      ConsistentRead: true,
      Limit: query.limit,
      ...(after !== undefined ? { ExclusiveStartKey: { pk, sk: after } } : {}),
    }),
  );
  const items = (Items ?? []).map(entryFromItem);
  return LastEvaluatedKey ? { items, nextCursor: Buffer.from(String(LastEvaluatedKey.sk)).toString('base64url') } : { items };
}

function decodeCursor(cursor: string): string {
  const sk = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!sk.startsWith(LEDGER_PREFIX) || sk.length > 300) throw new ValidationError([{ path: 'cursor', message: 'is not a cursor this API issued' }]);
  return sk;
}

function entryFromItem(item: Record<string, unknown>): LedgerEntry {
  const entry: LedgerEntry = {
    entryId: String(item.sk).slice(LEDGER_PREFIX.length),
    at: String(item.at),
    kind: item.kind as LedgerKind,
    amount: Number(item.amount),
  };
  if (typeof item.jobId === 'string') entry.jobId = item.jobId;
  if (typeof item.by === 'string') entry.by = item.by;
  if (isTier(item.tierFrom)) entry.tierFrom = item.tierFrom;
  if (isTier(item.tierTo)) entry.tierTo = item.tierTo;
  return entry;
}
