import { threadId } from 'node:worker_threads';

/** A handler for local/worker-pool.ts tests: answers with its thread and the FAULT_SEED and TIER its cold start saw. */
const seedAtColdStart = process.env.FAULT_SEED;
const tierAtColdStart = process.env.TIER;

export const handler = async (event: { holdMs?: number }): Promise<{ threadId: number; seed: string | undefined; tier: string | undefined }> => {
  // Held open so that concurrent invocations spread over the threads (each goes to the least busy one).
  await new Promise((resolve) => setTimeout(resolve, event.holdMs ?? 0));
  return { threadId, seed: seedAtColdStart, tier: tierAtColdStart };
};
