/**
 * Who a token says its holder is, read without verifying it: only for telling the user (the API verifies every
 * token). Cognito's ID token carries `email` and `sub`; the local stack's carries `sub`; both carry `tier`.
 */
export interface TokenIdentity {
  /** The email when the token has one, else the subject. */
  user: string;
  sub?: string;
  email?: string;
  /** The `tier` claim; absent means free, as the API reads it. */
  tier: string;
  admin: boolean;
  /** When it expires, ISO 8601, when the token says. */
  expiresAt?: string;
}

export function tokenClaims(token: string): Record<string, unknown> | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return typeof claims === 'object' && claims !== null && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function tokenIdentity(token: string): TokenIdentity {
  const claims = tokenClaims(token) ?? {};
  const text = (key: string): string | undefined => (typeof claims[key] === 'string' && claims[key] !== '' ? (claims[key] as string) : undefined);
  const sub = text('sub');
  const email = text('email');
  const exp = typeof claims.exp === 'number' ? new Date(claims.exp * 1000).toISOString() : undefined;
  return {
    user: email ?? sub ?? text('cognito:username') ?? '(unknown user)',
    ...(sub !== undefined ? { sub } : {}),
    ...(email !== undefined ? { email } : {}),
    tier: text('tier') ?? 'free',
    // Cognito's pre-token trigger writes the claim as the string "true"; the local key signs a boolean.
    admin: claims.admin === true || claims.admin === 'true',
    ...(exp !== undefined ? { expiresAt: exp } : {}),
  };
}

/** "ada@example.com (sub 1234…), tier basic" */
export function describeIdentity(identity: TokenIdentity): string {
  const sub = identity.email !== undefined && identity.sub !== undefined ? ` (sub ${identity.sub})` : '';
  return `${identity.user}${sub}, tier ${identity.tier}${identity.admin ? ', admin' : ''}`;
}
