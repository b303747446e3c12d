import type { ConnectionStore, StoredConnection, Subscriber } from '../../../lambdas/core/ports/connection-store.ts';

/** Mirrors CONNECTION_TTL_SECONDS of the DynamoDB adapter: a connection record older than this no longer counts. */
const CONNECTION_TTL_MS = (2 * 3600 + 600) * 1000;

/** Connections and their subscriptions in memory; deleting a connection drops its subscriptions, as the table does. */
export class InMemoryConnectionStore implements ConnectionStore {
  readonly #connections = new Map<string, { userId: string; connectedAt: number; tokenExpiresAt?: number }>();
  readonly #subscriptions = new Map<string, Set<string>>();
  /** `jobId connectionId` -> the token expiry copied onto the subscription, as the table's JOB#/CONN# item holds it. */
  readonly #subscriptionExpiry = new Map<string, number>();

  async putConnection(connectionId: string, userId: string, now: number, tokenExpiresAt?: number): Promise<void> {
    this.#connections.set(connectionId, { userId, connectedAt: now, ...(tokenExpiresAt !== undefined ? { tokenExpiresAt } : {}) });
  }

  async getConnection(connectionId: string): Promise<StoredConnection | undefined> {
    const c = this.#connections.get(connectionId);
    if (!c) return undefined;
    return c.tokenExpiresAt !== undefined ? { userId: c.userId, tokenExpiresAt: c.tokenExpiresAt } : { userId: c.userId };
  }

  async deleteConnection(connectionId: string): Promise<void> {
    this.#connections.delete(connectionId);
    for (const subscribers of this.#subscriptions.values()) subscribers.delete(connectionId);
  }

  async subscribe(connectionId: string, jobId: string, _now: number, tokenExpiresAt?: number): Promise<void> {
    if (tokenExpiresAt !== undefined) this.#subscriptionExpiry.set(`${jobId} ${connectionId}`, tokenExpiresAt);
    else this.#subscriptionExpiry.delete(`${jobId} ${connectionId}`);
    const subscribers = this.#subscriptions.get(jobId) ?? new Set<string>();
    subscribers.add(connectionId);
    this.#subscriptions.set(jobId, subscribers);
  }

  async unsubscribe(connectionId: string, jobId: string): Promise<void> {
    this.#subscriptions.get(jobId)?.delete(connectionId);
  }

  async subscribers(jobId: string): Promise<string[]> {
    return [...(this.#subscriptions.get(jobId) ?? [])].sort();
  }

  async subscriberDetails(jobId: string): Promise<Subscriber[]> {
    return (await this.subscribers(jobId)).map((connectionId) => {
      const exp = this.#subscriptionExpiry.get(`${jobId} ${connectionId}`);
      return exp !== undefined ? { connectionId, tokenExpiresAt: exp } : { connectionId };
    });
  }

  async countConnections(userId: string, now: number): Promise<number> {
    return [...this.#connections.values()].filter((c) => c.userId === userId && c.connectedAt + CONNECTION_TTL_MS > now).length;
  }

  async subscriptionsOf(connectionId: string): Promise<string[]> {
    return [...this.#subscriptions.entries()].filter(([, subscribers]) => subscribers.has(connectionId)).map(([jobId]) => jobId);
  }

  /** Connections and subscriptions, as a deep copy tests can compare. */
  snapshot(): { connections: Map<string, { userId: string; connectedAt: number; tokenExpiresAt?: number }>; subscriptions: Map<string, Set<string>> } {
    return structuredClone({ connections: this.#connections, subscriptions: this.#subscriptions });
  }

  connectionCount(): number {
    return this.#connections.size;
  }
}
