import * as z from '../../engine/zod-mini.ts';
import { described } from '../../engine/zod-mini.ts';

/** The JSON of `GET /me/ledger` and `GET /admin/users/{userId}/ledger`, for the OpenAPI document and clients. */
export const ledgerEntrySchema = z.object({
  entryId: z.string(),
  at: described(z.string(), 'ISO 8601 UTC'),
  kind: z.enum(['opening', 'debit', 'refund', 'redebit', 'grant', 'clawback', 'tier']),
  amount: described(z.number().check(z.int()), 'credits added (positive) or taken (negative); 0 for a tier change'),
  jobId: z.optional(z.string()),
  by: described(z.optional(z.string()), 'the administrator, for grants, clawbacks and tier changes'),
  tierFrom: z.optional(z.enum(['free', 'basic', 'pro'])),
  tierTo: z.optional(z.enum(['free', 'basic', 'pro'])),
});

export const ledgerPageSchema = z.object({
  userId: z.string(),
  items: described(z.array(ledgerEntrySchema), 'newest first; the amounts of all pages add up to the balance'),
  nextCursor: z.optional(z.string()),
});
