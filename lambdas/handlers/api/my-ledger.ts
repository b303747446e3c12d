import { ownLedgerDependencies } from '../shared/dependencies.ts';
import { createOwnLedgerHandler } from './ledger-handlers.ts';

/** Lambda entry for `GET /me/ledger`. */
export const handler = createOwnLedgerHandler(ownLedgerDependencies());
