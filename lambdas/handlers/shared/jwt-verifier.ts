import { errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { UnauthorizedError } from '../../core/errors.ts';
import { principalFromClaims, type Principal } from '../../core/principal.ts';

/** Only asymmetric algorithms: `none` and HS* (a public key used as an HMAC secret) are refused by construction. */
export const ALLOWED_ALGORITHMS = ['RS256', 'ES256'];

/** Longest token read: real ones are 1-2 KB; anything far bigger is refused before any parsing or key lookup. */
export const MAX_TOKEN_LENGTH = 8192;

/** A verified caller and when their token expires (`exp`, epoch seconds), which the WebSocket keeps with the connection. */
export interface VerifiedPrincipal extends Principal {
  tokenExpiresAt: number;
}

export type TokenVerifier = (token: string) => Promise<VerifiedPrincipal>;

/**
 * Verifies a bearer token as the HTTP API's JWT authorizer does: signature against the issuer's JWKS, issuer,
 * audience, expiry (required), and the algorithm allow-list. Any failure is an UnauthorizedError without detail
 * that would help an attacker; the reason goes to `onReject` for logs.
 */
export function createJwtVerifier(options: {
  keys: JWTVerifyGetKey;
  issuer: string;
  audience: string;
  onReject?: (reason: string) => void;
}): TokenVerifier {
  return async (token) => {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) {
      options.onReject?.('ERR_TOKEN_TOO_LONG');
      throw new UnauthorizedError('The token is not valid');
    }
    try {
      const { payload } = await jwtVerify(token, options.keys, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: ALLOWED_ALGORITHMS,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: 5,
      });
      return { ...principalFromClaims(payload as Record<string, unknown>), tokenExpiresAt: Number(payload.exp) };
    } catch (error) {
      const reason = error instanceof errors.JOSEError ? error.code : error instanceof Error ? error.name : 'unknown';
      options.onReject?.(reason);
      // The principal's own refusals (no subject, an access token) say what to send instead.
      if (error instanceof UnauthorizedError) throw error;
      throw new UnauthorizedError('The token is not valid');
    }
  };
}
