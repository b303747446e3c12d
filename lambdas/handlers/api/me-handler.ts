import type { Logger } from '@aws-lambda-powertools/logger';
import type { AccountStore } from '../../core/ports/account-store.ts';
import type { Clock } from '../../core/ports/clock.ts';
import { getMe } from '../../core/use-cases/me.ts';
import { httpHandler, json, principalOf } from '../shared/http.ts';
import { createLogger } from '../shared/logger.ts';

/** `GET /me`: the caller's tier, credits, submissions today and limits. */
export function createMeHandler(deps: { accounts: AccountStore; clock: Clock; logger?: Logger }) {
  const logger = deps.logger ?? createLogger('api');
  return httpHandler(logger, async (event) => json(200, await getMe(principalOf(event), deps), { 'Cache-Control': 'no-store' }));
}
