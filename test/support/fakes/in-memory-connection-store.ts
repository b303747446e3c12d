import type { ConnectionStore } from '../../../lambdas/core/ports/connection-store.ts';

/** Connections and their subscriptions in memory; deleting a connection drops its subscriptions, as the table does. */
export class InMemoryConnectionStore implements ConnectionStore {
  readonly #connections = new Map<string, { userId: string; connectedAt: number }>();
  readonly #subscriptions = new Map<string, Set<string>>();

  async putConnection(connectionId: string, userId: string, now: number): Promise<void> {
    this.#connections.set(connectionId, { userId, connectedAt: now });
  }

  async getConnection(connectionId: string): Promise<{ userId: string } | undefined> {
    const c = this.#connections.get(connectionId);
    return c ? { userId: c.userId } : undefined;
  }

  async deleteConnection(connectionId: string): Promise<void> {
    this.#connections.delete(connectionId);
    for (const subscribers of this.#subscriptions.values()) subscribers.delete(connectionId);
  }

  async subscribe(connectionId: string, jobId: string, _now: number): Promise<void> {
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

  /** Connections and subscriptions, as a deep copy tests can compare. */
  snapshot(): { connections: Map<string, { userId: string; connectedAt: number }>; subscriptions: Map<string, Set<string>> } {
    return structuredClone({ connections: this.#connections, subscriptions: this.#subscriptions });
  }

  connectionCount(): number {
    return this.#connections.size;
  }
}
