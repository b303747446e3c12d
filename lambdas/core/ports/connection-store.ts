/**
 * Who is connected over the WebSocket and which jobs each connection watches. The progress notifier reads
 * subscribers by job; disconnect and a `410 Gone` remove a connection with all its subscriptions.
 */
export interface ConnectionStore {
  putConnection(connectionId: string, userId: string, now: number): Promise<void>;
  getConnection(connectionId: string): Promise<{ userId: string } | undefined>;
  deleteConnection(connectionId: string): Promise<void>;
  subscribe(connectionId: string, jobId: string, now: number): Promise<void>;
  unsubscribe(connectionId: string, jobId: string): Promise<void>;
  subscribers(jobId: string): Promise<string[]>;
}
