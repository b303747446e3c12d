import { UnauthorizedError } from './errors.ts';
import { isTier, type Tier } from './tiers.ts';

/** The caller, as established by a verified token. The tier comes only from here, never from a request body. */
export interface Principal {
  userId: string;
  tier: Tier;
  admin: boolean;
}

/**
 * Reads a principal from verified JWT claims. `tier` (or Cognito's `custom:tier`), absent or unknown = free;
 * admin from an `admin` claim or membership of the `admin` group. Cognito access tokens (`token_use: access`) are
 * refused, on both APIs alike.
 */
export function principalFromClaims(claims: Record<string, unknown> | undefined): Principal {
  const sub = claims?.sub;
  if (typeof sub !== 'string' || sub.length === 0) throw new UnauthorizedError('The token has no subject');
  // Cognito access tokens carry no `tier` (the pre-token trigger adds it to ID tokens only): taking one would
  // silently run a paying user as free. The HTTP authorizer accepts them (client_id matches the audience), the
  // WebSocket verifier would not (no aud): this one rule, applied on both, refuses them with a reason.
  if (claims?.token_use === 'access') throw new UnauthorizedError('Access tokens are not accepted; send the ID token (it carries your tier)');
  const rawTier = claims?.tier ?? claims?.['custom:tier'];
  const tier: Tier = isTier(rawTier) ? rawTier : 'free';
  const adminClaim = claims?.admin;
  const groups = claims?.['cognito:groups'];
  const inAdminGroup =
    (Array.isArray(groups) && groups.includes('admin')) ||
    // API Gateway's JWT authorizer flattens arrays to strings like "[admin other]".
    (typeof groups === 'string' && /(^|[\s[,])admin([\s\],]|$)/.test(groups));
  return { userId: sub, tier, admin: adminClaim === true || adminClaim === 'true' || inAdminGroup };
}
