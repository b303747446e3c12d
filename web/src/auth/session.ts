/**
 * The signed-in token, kept in sessionStorage: it survives a reload but not the tab, and never goes into a cookie,
 * so it reaches only the API (as a bearer header) and the WebSocket (as its query), never the page's host.
 */
const KEY = 'backtest.token';

export interface TokenClaims {
  sub: string;
  /** seconds since the epoch */
  exp?: number;
  tier?: string;
}

export interface Session {
  token: string;
  claims: TokenClaims;
}

export function readSession(): Session | undefined {
  const token = sessionStorage.getItem(KEY) ?? undefined;
  if (token === undefined) return undefined;
  const claims = decodeClaims(token);
  return claims === undefined ? undefined : { token, claims };
}

/** Stores a token if it is a readable JWT; returns the session, or undefined for something that is not a JWT. */
export function storeToken(token: string): Session | undefined {
  const claims = decodeClaims(token);
  if (claims === undefined) return undefined;
  sessionStorage.setItem(KEY, token);
  return { token, claims };
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}

export function isExpired(session: Session, nowMs = Date.now()): boolean {
  return session.claims.exp !== undefined && session.claims.exp * 1000 <= nowMs;
}

/** The payload of a JWT, read without verifying it: the API verifies; the page only needs `exp` and `sub`. */
export function decodeClaims(token: string): TokenClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const json = atob(parts[1].replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(parts[1].length / 4) * 4, '='));
    const payload = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))) as Record<string, unknown>;
    if (typeof payload.sub !== 'string') return undefined;
    return {
      sub: payload.sub,
      ...(typeof payload.exp === 'number' ? { exp: payload.exp } : {}),
      ...(typeof payload.tier === 'string' ? { tier: payload.tier } : {}),
    };
  } catch {
    return undefined;
  }
}
