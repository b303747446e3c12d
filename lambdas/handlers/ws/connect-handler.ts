import type { Logger } from '@aws-lambda-powertools/logger';
import type { Clock } from '../../core/ports/clock.ts';
import type { ConnectionStore } from '../../core/ports/connection-store.ts';
import { connect } from '../../core/use-cases/websocket-session.ts';
import { createLogger } from '../shared/logger.ts';
import { principalFromAuthorizer, type WsEvent, type WsResult } from '../shared/websocket.ts';

/** `$connect` (after the authorizer allowed it): remembers the connection's user. */
export function createConnectHandler(deps: { connections: ConnectionStore; clock: Clock; logger?: Logger }) {
  const logger = deps.logger ?? createLogger('ws');
  return async (event: WsEvent): Promise<WsResult> => {
    let principal;
    try {
      principal = principalFromAuthorizer(event);
    } catch {
      return { statusCode: 401 };
    }
    const outcome = await connect(principal, event.requestContext.connectionId, deps);
    if (outcome.kind !== 'connected') {
      // No socket exists yet to carry a frame: the refusal is the handshake's status and this body.
      logger.info('connect refused', { connectionId: event.requestContext.connectionId, userId: principal.userId, reason: outcome.kind });
      return { statusCode: outcome.kind === 'token_expired' ? 401 : 429, body: outcome.message };
    }
    logger.info('connected', { connectionId: event.requestContext.connectionId, userId: principal.userId });
    return { statusCode: 200 };
  };
}
