import type { DeadLetter, DeadLetterQueue } from '../../../lambdas/core/ports/dead-letter-queue.ts';
import type { Tier } from '../../../lambdas/core/tiers.ts';

interface Parked {
  messageId: string;
  body: string;
  receiveCount: number;
  hidden: boolean;
  /** Every receipt handed out for this message; SQS accepts any of them while the message exists. */
  receipts: Set<number>;
  /** The next receive hands this message out again although it is hidden (SQS delivers at least once). */
  redeliver: boolean;
}

/**
 * Dead-letter queues in memory: receiving hides a message until released; a receipt handle for a message that is gone
 * is refused, as SQS does. `redeliver` makes a hidden message come out of the next receive once more, as SQS's
 * at-least-once delivery may, so the readers' handling of a second copy can be tested.
 */
export class InMemoryDeadLetterQueue implements DeadLetterQueue {
  readonly #queues: Record<Tier, Parked[]> = { free: [], basic: [], pro: [] };
  #next = 0;
  #receipts = 0;

  park(tier: Tier, body: unknown, receiveCount = 5): string {
    const messageId = `dlq-${++this.#next}`;
    this.#queues[tier].push({ messageId, body: typeof body === 'string' ? body : JSON.stringify(body), receiveCount, hidden: false, receipts: new Set(), redeliver: false });
    return messageId;
  }

  async receive(tier: Tier, max: number, _hideSeconds: number): Promise<DeadLetter[]> {
    const out: DeadLetter[] = [];
    for (const m of this.#queues[tier]) {
      if (out.length >= max) break;
      if (m.hidden && !m.redeliver) continue;
      m.redeliver = false;
      m.hidden = true;
      m.receiveCount += 1;
      const receipt = ++this.#receipts;
      m.receipts.add(receipt);
      out.push({ messageId: m.messageId, receiptHandle: `${m.messageId}#${receipt}`, body: m.body, receiveCount: m.receiveCount });
    }
    return out;
  }

  async release(tier: Tier, letter: DeadLetter): Promise<void> {
    this.#held(tier, letter).hidden = false;
  }

  async remove(tier: Tier, letter: DeadLetter): Promise<void> {
    const m = this.#held(tier, letter);
    this.#queues[tier].splice(this.#queues[tier].indexOf(m), 1);
  }

  /** The next receive of `tier` hands out message `messageId` again, even while it is hidden. */
  redeliver(tier: Tier, messageId: string): void {
    const m = this.#queues[tier].find((x) => x.messageId === messageId);
    if (!m) throw new Error(`no message ${messageId} in the ${tier} DLQ`);
    m.redeliver = true;
  }

  /** Receives so far (hidden or not) of every message still in the tier's DLQ, by message id. */
  receiveCounts(tier: Tier): Record<string, number> {
    return Object.fromEntries(this.#queues[tier].map((m) => [m.messageId, m.receiveCount]));
  }

  /** Visible and hidden messages of a tier. */
  depth(tier: Tier): number {
    return this.#queues[tier].length;
  }

  visible(tier: Tier): number {
    return this.#queues[tier].filter((m) => !m.hidden).length;
  }

  #held(tier: Tier, letter: DeadLetter): Parked {
    const [messageId, receipt] = letter.receiptHandle.split('#');
    const m = this.#queues[tier].find((x) => x.messageId === messageId && x.receipts.has(Number(receipt)));
    if (!m) throw new Error(`receipt handle ${letter.receiptHandle} is not current`);
    return m;
  }
}
