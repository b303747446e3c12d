import type { PreTokenGenerationTriggerEvent } from 'aws-lambda';
import { isTier, type Tier } from '../../core/tiers.ts';

/** Cognito group whose members are administrators (same name the CDK auth construct creates). */
const ADMIN_GROUP = 'admin';

/**
 * The claims this service reads, computed from the user's `custom:tier` attribute and group membership.
 * An absent or unknown tier becomes `free`, so a typo in an attribute can never grant a paid tier.
 */
export function tierClaims(userAttributes: Record<string, string | undefined>, groups: readonly string[] | undefined): { tier: Tier; admin: 'true' | 'false' } {
  const raw = userAttributes['custom:tier'];
  return {
    tier: isTier(raw) ? raw : 'free',
    admin: groups?.includes(ADMIN_GROUP) ? 'true' : 'false',
  };
}

/**
 * Cognito pre-token-generation trigger (V1 event): adds `tier` and `admin` to the ID token, which the HTTP JWT
 * authorizer and the WebSocket authorizer both accept, so handlers read plain claims instead of Cognito specifics.
 * Claims are strings in this event version; `principalFromClaims` accepts `admin: "true"`.
 */
export const handler = async (event: PreTokenGenerationTriggerEvent): Promise<PreTokenGenerationTriggerEvent> => {
  const claims = tierClaims(event.request.userAttributes, event.request.groupConfiguration?.groupsToOverride);
  event.response = {
    claimsOverrideDetails: {
      ...event.response?.claimsOverrideDetails,
      claimsToAddOrOverride: { ...event.response?.claimsOverrideDetails?.claimsToAddOrOverride, ...claims },
    },
  };
  return event;
};
