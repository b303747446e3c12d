import { ledgerDependencies } from '../shared/dependencies.ts';
import { createUserLedgerHandler } from './ledger-handlers.ts';

/** Lambda entry for `GET /admin/users/{userId}/ledger`. */
export const handler = createUserLedgerHandler(ledgerDependencies());
