import { connectionDependencies } from '../shared/dependencies.ts';
import { createDisconnectHandler } from './disconnect-handler.ts';

/** Lambda entry for the WebSocket `$disconnect` route. */
export const handler = createDisconnectHandler(connectionDependencies());
