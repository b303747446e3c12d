import { createApiClient, type ApiClient } from '../client/api-client.ts';
import { explain, type ExplainContext } from './errors.ts';
import { keepLoginFresh } from './login-refresh.ts';
import type { Output } from './output.ts';
import { resolveTarget, type ConnectionOptions, type ResolveOptions, type Target } from './target.ts';
import { tokenIdentity } from './token-claims.ts';

/** A connected command: the typed client, where it points, and how to turn its failures into one sentence. */
export interface Session {
  api: ApiClient;
  target: Target;
  /**
   * Runs one API call; a failure becomes the CLI's one-sentence error (with the token's expiry, the subject for a
   * 404, and what was refused when the API names fields).
   */
  call<T>(what: Promise<T>, subject?: string, refused?: string): Promise<T>;
}

export async function openSession(options: ConnectionOptions, out: Output, resolve: ResolveOptions = {}): Promise<Session> {
  const target = await resolveTarget(options, resolve);
  if (target.found) out.note(target.found);
  let token = target.token;
  const context: ExplainContext = { token, tokenSource: target.tokenSource };
  if (target.tokenSource === 'login' && target.loginFile !== undefined) {
    const expiresAt = tokenIdentity(token).expiresAt;
    if (expiresAt !== undefined) {
      keepLoginFresh(target.loginFile, expiresAt, (renewed) => {
        token = renewed;
        context.token = renewed;
      }, resolve.fetch ? { fetch: resolve.fetch } : {});
    }
  }
  // A function, so API calls made after a renewal carry the new token.
  const api = createApiClient({ baseUrl: target.apiUrl, token: () => token });
  return {
    api,
    target,
    call: async (what, subject, refused) => {
      try {
        return await what;
      } catch (error) {
        throw explain(error, { ...context, ...(subject ? { subject } : {}), ...(refused ? { refused } : {}) });
      }
    },
  };
}
