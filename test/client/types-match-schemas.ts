/**
 * Compile-time guard (checked by `tsc`, which `npm test` runs first): the client's plain response types must agree
 * with the zod schemas that generate the OpenAPI document, so the CLI and the web app cannot drift from what the
 * API sends. Each line fails to compile if a field is added, removed or retyped on one side only.
 */
import type { z } from 'zod';
import type * as schemas from '../../lambdas/core/api-schemas.ts';
import type * as client from '../../client/types.ts';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;

export type Checks = [
  Assert<Same<client.Problem, z.infer<typeof schemas.problemSchema>>>,
  Assert<Same<client.MeView, z.infer<typeof schemas.meSchema>>>,
  Assert<Same<client.EquityView, z.infer<typeof schemas.equitySchema>>>,
  Assert<Same<client.TradesPage, z.infer<typeof schemas.tradesPageSchema>>>,
  Assert<Same<client.SweepView, z.infer<typeof schemas.sweepViewSchema>>>,
  Assert<Same<client.StrategiesView, z.infer<typeof schemas.strategiesSchema>>>,
  Assert<Same<client.SymbolsPage, z.infer<typeof schemas.symbolsPageSchema>>>,
  Assert<Same<client.QueuesView, z.infer<typeof schemas.queuesSchema>>>,
  Assert<Same<client.UserAccountView, z.infer<typeof schemas.userAccountSchema>>>,
  Assert<Same<client.JobView, z.infer<typeof schemas.jobViewSchema>>>,
  Assert<Same<client.JobPage, z.infer<typeof schemas.jobPageSchema>>>,
  Assert<Same<client.SubmitResponse, z.infer<typeof schemas.submitResponseSchema>>>,
];
