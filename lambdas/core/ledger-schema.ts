import { z } from 'zod';

/** The JSON of `GET /me/ledger` and `GET /admin/users/{userId}/ledger`, for the OpenAPI document and clients. */
export const ledgerEntrySchema = z.object({
  entryId: z.string(),
  at: z.string().describe('ISO 8601 UTC'),
  kind: z.enum(['opening', 'debit', 'refund', 'redebit', 'grant', 'clawback', 'tier']),
  amount: z.number().int().describe('credits added (positive) or taken (negative); 0 for a tier change'),
  jobId: z.string().optional(),
  by: z.string().optional().describe('the administrator, for grants, clawbacks and tier changes'),
  tierFrom: z.enum(['free', 'basic', 'pro']).optional(),
  tierTo: z.enum(['free', 'basic', 'pro']).optional(),
});

export const ledgerPageSchema = z.object({
  userId: z.string(),
  items: z.array(ledgerEntrySchema).describe('newest first; the amounts of all pages add up to the balance'),
  nextCursor: z.string().optional(),
});
