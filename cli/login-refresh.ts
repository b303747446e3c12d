import { refreshTokens, TokenEndpointError } from '../client/cognito-login.ts';
import { CliError, EXIT } from './errors.ts';
import { readLogin, writeLogin, type SavedLogin } from './login-store.ts';
import { tokenIdentity } from './token-claims.ts';

/**
 * A token this close to its expiry is renewed before use: a command that starts with 10 s left would otherwise fail
 * halfway (a long `--watch` reconnects with the same token), and clocks drift.
 */
export const REFRESH_MARGIN_MS = 60_000;

export const SIGN_IN_EXPIRED = 'Your sign-in expired; run backtest login again.';

/** The ID token's `exp` as ISO 8601; a token without one cannot be used (API Gateway requires `exp`). */
export function expiryOf(idToken: string): string {
  const expiresAt = tokenIdentity(idToken).expiresAt;
  if (expiresAt === undefined) throw new CliError('Cognito issued an ID token without an expiry; run backtest login again.', EXIT.auth);
  return expiresAt;
}

/**
 * The saved login with an ID token good for at least another minute: renewed with the refresh token (and saved) when
 * it is not. A refused refresh (revoked, or past its 30 days) means signing in again.
 */
export async function freshLogin(
  path: string,
  login: SavedLogin,
  options: { now?: number; fetch?: typeof fetch } = {},
): Promise<{ login: SavedLogin; refreshed: boolean }> {
  const now = options.now ?? Date.now();
  if (Date.parse(login.expiresAt) - now > REFRESH_MARGIN_MS) return { login, refreshed: false };
  let tokens;
  try {
    tokens = await refreshTokens({ domain: login.domain, clientId: login.clientId }, login.refreshToken, options.fetch);
  } catch (error) {
    if (error instanceof TokenEndpointError && error.status === undefined) {
      throw new CliError(`Your sign-in expired and ${new URL(login.domain).origin} did not answer to renew it: check your network, or run backtest login again.`, EXIT.unreachable, { cause: error });
    }
    throw new CliError(SIGN_IN_EXPIRED, EXIT.auth, { cause: error });
  }
  // Cognito returns a new refresh token only when the client rotates them; otherwise the old one stays valid.
  const renewed: SavedLogin = { ...login, idToken: tokens.idToken, refreshToken: tokens.refreshToken ?? login.refreshToken, expiresAt: expiryOf(tokens.idToken) };
  await writeLogin(path, renewed);
  return { login: renewed, refreshed: true };
}

/**
 * Renews the saved login's token a minute before it expires, for as long as the command runs (a `--watch` or
 * `admin queues --watch` can outlast the hour), and hands each new token to `onToken`. The timer never keeps the
 * process alive. A renewal that fails is left to the next API call, which then says the token expired.
 */
export function keepLoginFresh(path: string, expiresAt: string, onToken: (idToken: string) => void, options: { fetch?: typeof fetch } = {}): () => void {
  let timer: NodeJS.Timeout | undefined;
  const schedule = (at: string): void => {
    const wait = Math.max(Date.parse(at) - REFRESH_MARGIN_MS - Date.now(), 0);
    timer = setTimeout(() => {
      void (async () => {
        const saved = await readLogin(path);
        if (saved === undefined) return; // signed out meanwhile
        const { login } = await freshLogin(path, saved, options);
        onToken(login.idToken);
        schedule(login.expiresAt);
      })().catch(() => undefined);
    }, wait);
    timer.unref();
  };
  schedule(expiresAt);
  return () => clearTimeout(timer);
}
