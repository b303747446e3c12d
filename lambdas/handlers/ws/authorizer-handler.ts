import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import type { TokenVerifier } from '../shared/jwt-verifier.ts';
import { createLogger } from '../shared/logger.ts';

/**
 * WebSocket `$connect` REQUEST authorizer: the token comes in the `token` query string (browsers cannot set
 * headers on a WebSocket upgrade). A valid token gets an Allow policy whose context (userId, tier, admin) API
 * Gateway hands to every route of the connection. Anything else throws `Unauthorized`, which API Gateway answers
 * with 401 and no connection. The token itself is never logged.
 */
export function createAuthorizerHandler(deps: { verify: TokenVerifier; logger?: Logger }) {
  const logger = deps.logger ?? createLogger('ws-authorizer');
  return async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
    const token = event.queryStringParameters?.token;
    if (!token) {
      logger.info('connect refused', { reason: 'no token' });
      throw new Error('Unauthorized');
    }
    let principal;
    try {
      principal = await deps.verify(token);
    } catch {
      logger.info('connect refused', { reason: 'invalid token' });
      throw new Error('Unauthorized');
    }
    return {
      principalId: principal.userId,
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }] },
      // exp travels with the connection: later routes refuse work after it, and the notifier closes the socket.
      context: { userId: principal.userId, tier: principal.tier, admin: principal.admin, exp: principal.tokenExpiresAt },
    };
  };
}
