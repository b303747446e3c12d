import { describe, expect, it } from 'vitest';
import type { ClientPush } from '../../lambdas/core/ports/client-push.ts';

export interface ClientPushHarness {
  push: ClientPush;
  /** Opens a client connection; `next()` resolves with the next message it receives, parsed. */
  connect(): Promise<{ connectionId: string; next(): Promise<unknown> }>;
  /** An id that was a connection and is closed now. */
  closedConnection(): Promise<string>;
}

/** The ClientPush contract: the fake the core tests use and API Gateway's management API behave alike. */
export function describeClientPushContract(name: string, makeHarness: () => Promise<ClientPushHarness>): void {
  describe(`ClientPush contract: ${name}`, () => {
    it('delivers a message to an open connection as JSON', async () => {
      const harness = await makeHarness();
      const client = await harness.connect();
      const message = { type: 'progress', jobId: 'j1', status: 'running', progress: 0.25, message: '25 %', at: '2026-03-01T10:00:00.000Z' };

      const outcome = await harness.push.send(client.connectionId, message);

      expect(outcome).toBe('sent');
      expect(await client.next()).toEqual(message);
    });

    it("answers 'gone' for a closed connection instead of throwing", async () => {
      const harness = await makeHarness();
      const closed = await harness.closedConnection();

      expect(await harness.push.send(closed, { type: 'progress' })).toBe('gone');
      expect(await harness.push.send('never-existed', { type: 'progress' })).toBe('gone');
    });
  });
}
