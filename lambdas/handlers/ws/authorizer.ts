import { authorizerDependencies } from '../shared/authorizer-dependencies.ts';
import { createLogger } from '../shared/logger.ts';
import { createAuthorizerHandler } from './authorizer-handler.ts';

const logger = createLogger('ws-authorizer');

/** Lambda entry for the WebSocket `$connect` REQUEST authorizer. */
export const handler = createAuthorizerHandler({ ...authorizerDependencies(process.env, (reason) => logger.info('token rejected', { reason })), logger });
