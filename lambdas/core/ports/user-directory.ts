import type { Tier } from '../tiers.ts';

/**
 * Where a user's tier lives for the issuer of their tokens. The tier a request runs under comes only from its
 * verified token; changing a tier here changes what the user's next token says (on Cognito the `custom:tier`
 * attribute that the pre-token-generation trigger copies into the `tier` claim; locally the Users table profile,
 * which the token CLI reads). Tokens already issued keep their tier until they expire.
 */
export interface UserDirectory {
  /** The tier the user's next token will carry; undefined when the directory has no tier for them (= free). */
  getTier(userId: string): Promise<Tier | undefined>;
  /** @throws NotFoundError when the directory has no such user */
  setTier(userId: string, tier: Tier): Promise<void>;
}
