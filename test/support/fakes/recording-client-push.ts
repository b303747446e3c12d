import type { ClientPush } from '../../../lambdas/core/ports/client-push.ts';

/** Records what each connection was sent. Connections in `gone` answer like a 410 from PostToConnection. */
export class RecordingClientPush implements ClientPush {
  readonly sent: { connectionId: string; message: unknown }[] = [];
  readonly gone = new Set<string>();
  /** Connections whose sends throw, like a throttled management API. */
  readonly failing = new Set<string>();

  async send(connectionId: string, message: unknown): Promise<'sent' | 'gone'> {
    if (this.failing.has(connectionId)) throw new Error(`PostToConnection failed for ${connectionId}`);
    if (this.gone.has(connectionId)) return 'gone';
    // Serialised and parsed back, as a real socket would carry it: catches values JSON cannot carry.
    this.sent.push({ connectionId, message: JSON.parse(JSON.stringify(message)) });
    return 'sent';
  }

  to(connectionId: string): Record<string, unknown>[] {
    return this.sent.filter((s) => s.connectionId === connectionId).map((s) => s.message as Record<string, unknown>);
  }
}
