import type { DeadLetter, DeadLetterQueue } from '../../../lambdas/core/ports/dead-letter-queue.ts';
import type { Tier } from '../../../lambdas/core/tiers.ts';

interface Parked {
  messageId: string;
  body: string;
  receiveCount: number;
  hidden: boolean;
  receipt: number;
}

/** Dead-letter queues in memory: receiving hides a message until released; a stale receipt handle is refused, as SQS does. */
export class InMemoryDeadLetterQueue implements DeadLetterQueue {
  readonly #queues: Record<Tier, Parked[]> = { free: [], basic: [], pro: [] };
  #next = 0;

  park(tier: Tier, body: unknown, receiveCount = 5): string {
    const messageId = `dlq-${++this.#next}`;
    this.#queues[tier].push({ messageId, body: typeof body === 'string' ? body : JSON.stringify(body), receiveCount, hidden: false, receipt: 0 });
    return messageId;
  }

  async receive(tier: Tier, max: number, _hideSeconds: number): Promise<DeadLetter[]> {
    const out: DeadLetter[] = [];
    for (const m of this.#queues[tier]) {
      if (out.length >= max) break;
      if (m.hidden) continue;
      m.hidden = true;
      m.receiveCount += 1;
      m.receipt += 1;
      out.push({ messageId: m.messageId, receiptHandle: `${m.messageId}#${m.receipt}`, body: m.body, receiveCount: m.receiveCount });
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

  /** Visible and hidden messages of a tier. */
  depth(tier: Tier): number {
    return this.#queues[tier].length;
  }

  visible(tier: Tier): number {
    return this.#queues[tier].filter((m) => !m.hidden).length;
  }

  #held(tier: Tier, letter: DeadLetter): Parked {
    const m = this.#queues[tier].find((x) => `${x.messageId}#${x.receipt}` === letter.receiptHandle);
    if (!m) throw new Error(`receipt handle ${letter.receiptHandle} is not current`);
    return m;
  }
}
