export type * from './job-repository.ts';
export type * from './job-queue.ts';
export type * from './connection-store.ts';
export type * from './client-push.ts';
export type * from './market-data.ts';
export type * from './message-visibility.ts';
export type { Clock } from './clock.ts';
export { systemClock, isoNow } from './clock.ts';
