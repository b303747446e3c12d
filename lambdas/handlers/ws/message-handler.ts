import type { Logger } from '@aws-lambda-powertools/logger';
import { confirmAdmin } from '../../core/admin-check.ts';
import type { AdminDirectory } from '../../core/ports/admin-directory.ts';
import type { Clock } from '../../core/ports/clock.ts';
import type { ClientPush } from '../../core/ports/client-push.ts';
import type { ConnectionStore } from '../../core/ports/connection-store.ts';
import type { JobRepository } from '../../core/ports/job-repository.ts';
import { handleClientMessage, type WsPrincipal } from '../../core/use-cases/websocket-session.ts';
import { createLogger } from '../shared/logger.ts';
import { principalFromAuthorizer, type WsEvent, type WsResult } from '../shared/websocket.ts';

export interface MessageHandlerDeps {
  connections: ConnectionStore;
  jobs: JobRepository;
  push: ClientPush;
  clock: Clock;
  logger?: Logger;
  /** Confirms an admin claim before it lets the connection watch other users' jobs; absent = the claim stands. */
  adminDirectory?: AdminDirectory;
}

/**
 * Routes `subscribe`, `unsubscribe` and `$default`. Replies (snapshot, errors) go out through the management API,
 * so the client gets them as ordinary frames whatever route matched.
 */
export function createMessageHandler(deps: MessageHandlerDeps) {
  const logger = deps.logger ?? createLogger('ws');
  return async (event: WsEvent): Promise<WsResult> => {
    const connectionId = event.requestContext.connectionId;
    const claimed = await principalFor(event, deps.connections);
    const principal = claimed && (await confirmAdmin(claimed, deps.adminDirectory));
    if (!principal) {
      await deps.push.send(connectionId, { type: 'error', code: 'bad_request', message: 'This connection is not authorized; reconnect with ?token=' });
      return { statusCode: 401 };
    }
    const body = event.body !== undefined && event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
    await handleClientMessage(principal, connectionId, body, deps);
    logger.debug('message handled', { connectionId, routeKey: event.requestContext.routeKey });
    return { statusCode: 200 };
  };
}

/** The authorizer context when API Gateway passed it on; else the user stored at $connect. */
async function principalFor(event: WsEvent, connections: ConnectionStore): Promise<WsPrincipal | undefined> {
  try {
    return principalFromAuthorizer(event);
  } catch {
    const stored = await connections.getConnection(event.requestContext.connectionId);
    if (!stored) return undefined;
    return { userId: stored.userId, tier: 'free', admin: false, ...(stored.tokenExpiresAt !== undefined ? { tokenExpiresAt: stored.tokenExpiresAt } : {}) };
  }
}
