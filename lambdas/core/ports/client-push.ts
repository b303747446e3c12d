/**
 * Sends a message to one WebSocket connection (API Gateway's PostToConnection on AWS, the local gateway's
 * management endpoint locally). A connection that no longer exists is an expected outcome, not an error.
 */
export interface ClientPush {
  send(connectionId: string, message: unknown): Promise<'sent' | 'gone'>;
}
