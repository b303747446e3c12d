import { DeleteConnectionCommand, GoneException, PostToConnectionCommand, type ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import type { ClientPush } from '../core/ports/client-push.ts';

export interface ApiGatewayClientPushProps {
  /** A management API client whose endpoint is WS_MANAGEMENT_ENDPOINT (`https://<api-id>.execute-api.<region>.amazonaws.com/<stage>`). */
  client: ApiGatewayManagementApiClient;
}

/** Sends WebSocket messages through API Gateway's management API (PostToConnection). */
export class ApiGatewayClientPush implements ClientPush {
  readonly #client: ApiGatewayManagementApiClient;

  constructor(props: ApiGatewayClientPushProps) {
    this.#client = props.client;
  }

  async send(connectionId: string, message: unknown): Promise<'sent' | 'gone'> {
    try {
      await this.#client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: JSON.stringify(message) }));
      return 'sent';
    } catch (error) {
      // The connection closed since it subscribed: expected, the caller deletes it.
      if (error instanceof GoneException || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410) {
        return 'gone';
      }
      throw error;
    }
  }

  async close(connectionId: string): Promise<void> {
    try {
      await this.#client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    } catch (error) {
      // Already closed: the goal is reached.
      if (error instanceof GoneException || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410) return;
      throw error;
    }
  }
}
