import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { PreTokenGenerationTriggerEvent } from 'aws-lambda';
import { hasTotpMfa } from '../../adapters/cognito-mfa-status.ts';
import { isTier, type Tier } from '../../core/tiers.ts';

/** Cognito group whose members are administrators (same name the CDK auth construct creates). */
const ADMIN_GROUP = 'admin';

/**
 * The claims this service reads, computed from the user's `custom:tier` attribute and group membership.
 * An absent or unknown tier becomes `free`, so a typo in an attribute can never grant a paid tier. `mfa` says
 * whether the user signs in with TOTP: without it, membership of the admin group grants nothing (issue 11: MFA
 * required for admins).
 */
export function tierClaims(
  userAttributes: Record<string, string | undefined>,
  groups: readonly string[] | undefined,
  mfa = true,
): { tier: Tier; admin: 'true' | 'false' } {
  const raw = userAttributes['custom:tier'];
  return {
    tier: isTier(raw) ? raw : 'free',
    admin: groups?.includes(ADMIN_GROUP) && mfa ? 'true' : 'false',
  };
}

export interface PreTokenDeps {
  /** Whether the user has TOTP MFA set up; asked only for members of the admin group. */
  hasTotp: (userPoolId: string, userName: string) => Promise<boolean>;
  /** Where a failed MFA lookup is reported (the token is still issued, without admin). */
  onLookupError?: (error: unknown) => void;
}

/**
 * Cognito pre-token-generation trigger (V1 event): adds `tier` and `admin` to the ID token, which the HTTP JWT
 * authorizer and the WebSocket authorizer both accept, so handlers read plain claims instead of Cognito specifics.
 * Claims are strings in this event version; `principalFromClaims` accepts `admin: "true"`. A failed MFA lookup
 * fails closed: the user signs in, without the admin claim.
 */
export function createPreTokenHandler(deps: PreTokenDeps) {
  return async (event: PreTokenGenerationTriggerEvent): Promise<PreTokenGenerationTriggerEvent> => {
    const groups = event.request.groupConfiguration?.groupsToOverride;
    let mfa = false;
    if (groups?.includes(ADMIN_GROUP)) {
      try {
        mfa = await deps.hasTotp(event.userPoolId, event.userName);
      } catch (error) {
        deps.onLookupError?.(error);
      }
    }
    const claims = tierClaims(event.request.userAttributes, groups, mfa);
    event.response = {
      claimsOverrideDetails: {
        ...event.response?.claimsOverrideDetails,
        claimsToAddOrOverride: { ...event.response?.claimsOverrideDetails?.claimsToAddOrOverride, ...claims },
      },
    };
    return event;
  };
}

const cognito = new CognitoIdentityProviderClient({});

export const handler = createPreTokenHandler({
  hasTotp: (userPoolId, userName) => hasTotpMfa(cognito, userPoolId, userName),
  onLookupError: (error) => console.error(JSON.stringify({ level: 'ERROR', message: 'MFA lookup failed; admin claim withheld', error: String(error) })),
});
