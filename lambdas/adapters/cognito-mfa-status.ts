import { AdminGetUserCommand, type CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';

/**
 * Whether a Cognito user has TOTP (software token) MFA set up. A user with TOTP enabled must pass it at every
 * sign-in, so "has TOTP" is what "signed in with MFA" means for the admin claim.
 */
export async function hasTotpMfa(client: CognitoIdentityProviderClient, userPoolId: string, userName: string): Promise<boolean> {
  const user = await client.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: userName }));
  return (user.UserMFASettingList ?? []).includes('SOFTWARE_TOKEN_MFA');
}
