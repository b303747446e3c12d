import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { submitBacktest } from '../../lambdas/core/use-cases/submit-backtest.ts';
import { MAX_CLIENT_MESSAGE_BYTES } from '../../lambdas/core/use-cases/websocket-session.ts';
import { createMessageHandler } from '../../lambdas/handlers/ws/message-handler.ts';
import { principal, submitBody, world } from '../core/support.ts';
import { wsEvent } from '../support/events/index.ts';
import { silentLogger } from '../handlers/silent-logger.ts';
import { anyJson, hostileString, notJson, RUNS } from './support.ts';

/** A valid unsubscribe gets no reply by design (it only removes), so it is not hostile input; everything else is. */
function isValidUnsubscribe(raw: string): boolean {
  try {
    const m = JSON.parse(raw) as { action?: unknown; jobId?: unknown };
    return m?.action === 'unsubscribe' && typeof m.jobId === 'string' && m.jobId.length >= 1 && m.jobId.length <= 128;
  } catch {
    return false;
  }
}

const frames = fc
  .oneof(
    notJson,
    anyJson.map((v) => JSON.stringify(v)),
    fc.record({ action: anyJson, jobId: anyJson }).map((m) => JSON.stringify(m)),
    fc.record({ action: fc.constantFrom('subscribe', 'unsubscribe', 'SUBSCRIBE', 'sendmessage', '$default', ''), jobId: anyJson }).map((m) => JSON.stringify(m)),
    // Well-formed subscribes to ids that do not exist or belong to bob.
    fc.oneof(fc.uuid(), fc.constant('job-0001'), fc.string({ minLength: 1, maxLength: 128 })).map((jobId) => JSON.stringify({ action: 'subscribe', jobId })),
    fc.integer({ min: MAX_CLIENT_MESSAGE_BYTES, max: 100_000 }).map((n) => JSON.stringify({ action: 'subscribe', jobId: 'j', pad: 'x'.repeat(n) })),
    hostileString,
  )
  .filter((raw) => !isValidUnsubscribe(raw));

describe('hostile frames on the WebSocket: always an error message, nothing stored', () => {
  it('subscribe, unsubscribe and $default with random frames', async () => {
    // Prepare: bob has a running job; alice (connection a1) owns nothing.
    const w = world();
    const { jobId } = await submitBacktest(principal('bob', 'pro'), submitBody(), undefined, w);
    await w.jobs.claim(jobId, 1, '2024-03-01T12:00:01.000Z');
    await w.connections.putConnection('a1', 'alice', w.clock.now());
    const handler = createMessageHandler({ ...w, logger: silentLogger });
    const stored = { connections: w.connections.snapshot(), jobs: w.jobs.snapshot() };
    let runs = 0;

    await fc.assert(
      fc.asyncProperty(frames, fc.constantFrom('subscribe', 'unsubscribe', '$default') as fc.Arbitrary<'subscribe' | 'unsubscribe' | '$default'>, fc.boolean(), async (body, routeKey, base64) => {
        runs += 1;
        const sentBefore = w.push.sent.length;
        const event = wsEvent({ routeKey, connectionId: 'a1', authorizer: { userId: 'alice', tier: 'pro', admin: false }, body: base64 ? Buffer.from(body).toString('base64') : body });
        if (base64) event.isBase64Encoded = true;

        const res = await handler(event);

        expect(res.statusCode).toBe(200);
        const replies = w.push.sent.slice(sentBefore);
        expect(replies, body.slice(0, 200)).toHaveLength(1);
        expect(replies[0]).toMatchObject({ connectionId: 'a1', message: { type: 'error', code: expect.stringMatching(/^(bad_request|not_found)$/) } });
        expect(JSON.stringify(replies[0].message)).not.toContain('"job":');
        expect({ connections: w.connections.snapshot(), jobs: w.jobs.snapshot() }).toEqual(stored);
      }),
      { numRuns: RUNS },
    );
    expect(runs).toBeGreaterThanOrEqual(RUNS);
  });
});
