import { connectionDependencies } from '../shared/dependencies.ts';
import { createConnectHandler } from './connect-handler.ts';

/** Lambda entry for the WebSocket `$connect` route. */
export const handler = createConnectHandler(connectionDependencies());
