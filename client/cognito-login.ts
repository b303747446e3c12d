/**
 * Cognito managed login with the authorization code grant and PKCE (S256), as pure code the CLI (Node 24) and a
 * browser can both run: Web Crypto and the global fetch only, no Node imports. The app client is public (no secret),
 * so PKCE is what ties the code to the program that asked for it.
 */

/**
 * The loopback ports `backtest login` listens on, in order: Cognito compares callback URLs exactly, so the app client
 * lists `http://localhost:<port>/callback` for each of these (lib/constructs/web-sign-in.ts) and the CLI may use no
 * other. Two, so one busy port (another program, a second login) does not block signing in.
 */
export const CLI_LOGIN_PORTS = [8914, 8915] as const;

/** The redirect URI of the CLI's loopback server on `port`; Cognito accepts plain http only for localhost. */
export const cliRedirectUri = (port: number): string => `http://localhost:${port}/callback`;

/** A refused or failed call to Cognito's token endpoint; `error` is its OAuth error code when it gave one. */
export class TokenEndpointError extends Error {
  override name = 'TokenEndpointError';
  /** The HTTP status, or undefined when no answer came (network). */
  readonly status: number | undefined;
  readonly error: string | undefined;
  constructor(message: string, status: number | undefined, error: string | undefined, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
    this.error = error;
  }
}

export interface PkceRequest {
  /** Kept by the caller until the callback; sent with the code. */
  verifier: string;
  /** Sent in the authorize URL: SHA-256 of the verifier, base64url. */
  challenge: string;
  /** Random; the callback must carry it back unchanged. */
  state: string;
}

export async function createPkceRequest(): Promise<PkceRequest> {
  const verifier = base64Url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64Url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  return { verifier, challenge, state };
}

export interface CognitoClient {
  /** The managed login domain, e.g. https://backtest-123.auth.eu-west-1.amazoncognito.com */
  domain: string;
  clientId: string;
}

export function authorizeUrl(client: CognitoClient & { redirectUri: string; scopes: readonly string[] }, request: PkceRequest): string {
  const url = new URL('/oauth2/authorize', client.domain);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    scope: client.scopes.join(' '),
    state: request.state,
    code_challenge: request.challenge,
    code_challenge_method: 'S256',
  }).toString();
  return url.toString();
}

export interface Tokens {
  idToken: string;
  /** Absent on a refresh unless the client rotates refresh tokens. */
  refreshToken?: string;
}

/** Exchanges an authorization code for tokens (the verifier proves this program asked for it). */
export function exchangeCode(client: CognitoClient & { redirectUri: string }, code: string, verifier: string, fetchFn: typeof fetch = fetch): Promise<Tokens> {
  return tokenRequest(client, { grant_type: 'authorization_code', client_id: client.clientId, code, redirect_uri: client.redirectUri, code_verifier: verifier }, fetchFn);
}

/** A new ID token for a refresh token (Cognito keeps the same refresh token unless rotation is on). */
export function refreshTokens(client: CognitoClient, refreshToken: string, fetchFn: typeof fetch = fetch): Promise<Tokens> {
  return tokenRequest(client, { grant_type: 'refresh_token', client_id: client.clientId, refresh_token: refreshToken }, fetchFn);
}

async function tokenRequest(client: CognitoClient, form: Record<string, string>, fetchFn: typeof fetch): Promise<Tokens> {
  let response: Response;
  try {
    response = await fetchFn(new URL('/oauth2/token', client.domain).toString(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  } catch (error) {
    throw new TokenEndpointError(`no answer from ${new URL(client.domain).origin}`, undefined, undefined, { cause: error });
  }
  const body = (await response.json().catch(() => ({}))) as { id_token?: unknown; refresh_token?: unknown; error?: unknown };
  const error = typeof body.error === 'string' ? body.error : undefined;
  if (!response.ok || typeof body.id_token !== 'string') throw new TokenEndpointError(`the token endpoint answered ${response.status}${error ? ` ${error}` : ''}`, response.status, error);
  return { idToken: body.id_token, ...(typeof body.refresh_token === 'string' ? { refreshToken: body.refresh_token } : {}) };
}

function base64Url(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * Revokes a refresh token (the app client has token revocation on), so a copy of a signed-out session file is
 * worthless. Cognito answers 200 for a token it no longer knows, too.
 */
export async function revokeRefreshToken(client: CognitoClient, refreshToken: string, fetchFn: typeof fetch = fetch): Promise<void> {
  let response: Response;
  try {
    response = await fetchFn(new URL('/oauth2/revoke', client.domain).toString(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: refreshToken, client_id: client.clientId }).toString(),
    });
  } catch (error) {
    throw new TokenEndpointError(`no answer from ${new URL(client.domain).origin}`, undefined, undefined, { cause: error });
  }
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { error?: unknown };
    const error = typeof body.error === 'string' ? body.error : undefined;
    throw new TokenEndpointError(`the revoke endpoint answered ${response.status}${error ? ` ${error}` : ''}`, response.status, error);
  }
}
