import type { ApiClient } from '../../client/api-client.ts';
import type { MeView } from '../../client/types.ts';
import type { JobFeed } from './job-feed.ts';

/** What every view is handed: the API client, the live job feed and page-level actions. Views share nothing else. */
export interface AppContext {
  api: ApiClient;
  feed: JobFeed;
  /** The caller's account; refreshed after submits and completions. */
  me(): MeView | undefined;
  refreshMe(): Promise<void>;
  /** Fires 'me' when the account was read again. */
  events: EventTarget;
  /** Opens a route (`#/`, `#/jobs/<id>`, `#/leaderboard[/<board>]`, `#/operator`). */
  navigate(hash: string): void;
  /** Turns any error into the page's handling: a 401 ends the session; anything else is returned as one sentence. */
  describeError(error: unknown): string;
}
