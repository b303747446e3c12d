/** A stored WebSocket connection: its user and, when the authorizer knew it, when the user's token expires. */
export interface StoredConnection {
  userId: string;
  /** Epoch seconds (`exp` of the token the connection was opened with). */
  tokenExpiresAt?: number;
}

/** A subscriber of a job, with the expiry of the token its connection was opened with (when known). */
export interface Subscriber {
  connectionId: string;
  /** Epoch seconds. */
  tokenExpiresAt?: number;
}

/**
 * Who is connected over the WebSocket and which jobs each connection watches. The progress notifier reads
 * subscribers by job; disconnect and a `410 Gone` remove a connection with all its subscriptions.
 */
export interface ConnectionStore {
  /** `tokenExpiresAt` (epoch seconds) is kept with the connection and copied onto each of its subscriptions. */
  putConnection(connectionId: string, userId: string, now: number, tokenExpiresAt?: number): Promise<void>;
  getConnection(connectionId: string): Promise<StoredConnection | undefined>;
  deleteConnection(connectionId: string): Promise<void>;
  subscribe(connectionId: string, jobId: string, now: number, tokenExpiresAt?: number): Promise<void>;
  unsubscribe(connectionId: string, jobId: string): Promise<void>;
  subscribers(jobId: string): Promise<string[]>;
  /** The subscribers with their token expiry, for the notifier (it closes connections whose token expired). */
  subscriberDetails(jobId: string): Promise<Subscriber[]>;
  /** Open connections of a user (ones whose record expired by TTL time do not count). */
  countConnections(userId: string, now: number): Promise<number>;
  /** Jobs a connection is subscribed to. */
  subscriptionsOf(connectionId: string): Promise<string[]>;
}
