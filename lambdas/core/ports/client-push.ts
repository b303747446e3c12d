/**
 * Sends a message to one WebSocket connection (API Gateway's PostToConnection on AWS, the local gateway's
 * management endpoint locally). A connection that no longer exists is an expected outcome, not an error.
 */
export interface ClientPush {
  send(connectionId: string, message: unknown): Promise<'sent' | 'gone'>;
  /**
   * Closes the connection from the server side (DeleteConnection), e.g. once its token expired. Optional: a push
   * that cannot close (a test double) leaves the socket open; its records are deleted either way, so it gets nothing more.
   */
  close?(connectionId: string): Promise<void>;
}
