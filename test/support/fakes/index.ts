export { InMemoryJobRepository } from './in-memory-job-repository.ts';
export { InMemoryJobQueue } from './in-memory-job-queue.ts';
export { InMemoryConnectionStore } from './in-memory-connection-store.ts';
export { InMemoryMarketData } from './in-memory-market-data.ts';
export { RecordingClientPush } from './recording-client-push.ts';
export { ManualClock } from './manual-clock.ts';
