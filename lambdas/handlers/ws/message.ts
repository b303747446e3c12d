import { messageDependencies } from '../shared/dependencies.ts';
import { createMessageHandler } from './message-handler.ts';

/** Lambda entry for the WebSocket `subscribe`, `unsubscribe` and `$default` routes. */
export const handler = createMessageHandler(messageDependencies());
