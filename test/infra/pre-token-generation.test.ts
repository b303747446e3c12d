import type { PreTokenGenerationTriggerEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createPreTokenHandler } from '../../lambdas/handlers/auth/pre-token-generation.ts';
import { principalFromClaims } from '../../lambdas/core/principal.ts';

function cognitoEvent(userAttributes: Record<string, string>, groups?: string[]): PreTokenGenerationTriggerEvent {
  return {
    version: '1',
    region: 'eu-west-1',
    userPoolId: 'eu-west-1_test',
    userName: 'user-1',
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: 'client' },
    triggerSource: 'TokenGeneration_Authentication',
    request: { userAttributes: { sub: 'user-1', ...userAttributes }, groupConfiguration: { groupsToOverride: groups } },
    response: { claimsOverrideDetails: {} },
  } as PreTokenGenerationTriggerEvent;
}

/** Users with TOTP set up, as AdminGetUser would report them; every lookup is recorded. */
const lookups: string[] = [];
const withTotp = new Set(['user-1']);
const handler = createPreTokenHandler({
  hasTotp: async (_pool, userName) => {
    lookups.push(userName);
    return withTotp.has(userName);
  },
});

describe('pre-token-generation trigger', () => {
  it('copies custom:tier and admin group membership into claims the API reads', async () => {
    const event = cognitoEvent({ 'custom:tier': 'pro' }, ['admin', 'beta']);

    const result = await handler(event);

    const added = result.response.claimsOverrideDetails.claimsToAddOrOverride;
    expect(added).toEqual({ tier: 'pro', admin: 'true' });
    // The claims must mean the same thing to the handlers' principal parser.
    expect(principalFromClaims({ sub: 'user-1', ...added })).toEqual({ userId: 'user-1', tier: 'pro', admin: true });
  });

  it.each([[{}], [{ 'custom:tier': 'platinum' }], [{ 'custom:tier': 'PRO' }]])('falls back to free for %j, never to a paid tier', async (attributes) => {
    const result = await handler(cognitoEvent(attributes, undefined));

    expect(result.response.claimsOverrideDetails.claimsToAddOrOverride).toEqual({ tier: 'free', admin: 'false' });
  });

  it('keeps claims another trigger step already set', async () => {
    const event = cognitoEvent({ 'custom:tier': 'basic' }, []);
    event.response.claimsOverrideDetails = { claimsToAddOrOverride: { org: 'acme' }, claimsToSuppress: ['email'] };

    const result = await handler(event);

    expect(result.response.claimsOverrideDetails).toEqual({
      claimsToAddOrOverride: { org: 'acme', tier: 'basic', admin: 'false' },
      claimsToSuppress: ['email'],
    });
  });

  it('withholds the admin claim from an admin-group member without TOTP MFA (MFA required for admins)', async () => {
    const event = cognitoEvent({ 'custom:tier': 'pro' }, ['admin']);
    event.userName = 'no-mfa-admin';

    const result = await handler(event);

    expect(result.response.claimsOverrideDetails.claimsToAddOrOverride).toEqual({ tier: 'pro', admin: 'false' });
  });

  it('fails closed when the MFA lookup fails, and never looks up users outside the admin group', async () => {
    const errors: unknown[] = [];
    const failing = createPreTokenHandler({ hasTotp: async () => Promise.reject(new Error('throttled')), onLookupError: (e) => errors.push(e) });
    lookups.length = 0;

    const admin = await failing(cognitoEvent({ 'custom:tier': 'basic' }, ['admin']));
    await handler(cognitoEvent({ 'custom:tier': 'basic' }, ['beta']));

    expect(admin.response.claimsOverrideDetails.claimsToAddOrOverride).toEqual({ tier: 'basic', admin: 'false' });
    expect(errors).toHaveLength(1);
    expect(lookups).toEqual([]);
  });
});
