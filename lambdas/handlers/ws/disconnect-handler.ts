import type { Logger } from '@aws-lambda-powertools/logger';
import type { ConnectionStore } from '../../core/ports/connection-store.ts';
import { disconnect } from '../../core/use-cases/websocket-session.ts';
import { createLogger } from '../shared/logger.ts';
import type { WsEvent, WsResult } from '../shared/websocket.ts';

/** `$disconnect`: forgets the connection and all its subscriptions. */
export function createDisconnectHandler(deps: { connections: ConnectionStore; logger?: Logger }) {
  const logger = deps.logger ?? createLogger('ws');
  return async (event: WsEvent): Promise<WsResult> => {
    await disconnect(event.requestContext.connectionId, deps);
    logger.info('disconnected', { connectionId: event.requestContext.connectionId });
    return { statusCode: 200 };
  };
}
