import { Duration, Lazy } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { CLI_LOGIN_PORTS, cliRedirectUri } from '../../client/cognito-login.ts';
import type { CognitoPool } from './auth.ts';

/** OAuth scopes the web app asks for: enough for an ID token with the user's id, email and the tier claim. */
export const WEB_SCOPES = ['openid', 'email', 'profile'] as const;

export interface WebSignInProps {
  readonly pool: CognitoPool;
  /**
   * Callback and sign-out URLs: the web app's CloudFront URL (known only once the distribution exists, so a
   * function read at synthesis) plus context `callbackUrls`. The CLI's loopback callbacks are added to these.
   */
  readonly callbackUrls: () => string[];
}

/**
 * The user pool's one app client, for the web app, the CLI and scripts: a public client (no secret, a browser
 * cannot keep one) that signs in with SRP or through managed login with the authorization code grant and PKCE.
 * No `USER_PASSWORD_AUTH` (the password would travel to Cognito as is), no implicit grant (tokens in the URL
 * fragment, no PKCE). It lives in the service stack because its callback URL is the distribution's; recreating it
 * only signs users out. `backtest login` uses it too, through a loopback redirect: Cognito matches callback URLs
 * exactly, so each of the CLI's fixed ports is listed (http is allowed for localhost only).
 */
export class WebSignIn extends Construct {
  readonly client: cognito.UserPoolClient;

  constructor(scope: Construct, id: string, props: WebSignInProps) {
    super(scope, id);
    const urls = Lazy.list({ produce: () => props.callbackUrls() });
    // Only callbacks: the CLI signs out by revoking its refresh token, never through the managed login's logout page.
    const callbackUrls = Lazy.list({ produce: () => [...props.callbackUrls(), ...CLI_LOGIN_PORTS.map(cliRedirectUri)] });
    // The tier is a billing fact: clients may read it but only an administrator may write it.
    const standardWritable = new cognito.ClientAttributes().withStandardAttributes({ email: true, fullname: true });
    // Scoped here (not pool.addClient) so the client is a resource of this stack, not of the stateful one.
    this.client = new cognito.UserPoolClient(this, 'WebClient', {
      userPool: props.pool.userPool,
      authFlows: { userSrp: true },
      generateSecret: false,
      preventUserExistenceErrors: true,
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls,
        logoutUrls: urls,
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
      enableTokenRevocation: true,
      readAttributes: standardWritable.withCustomAttributes('tier'),
      writeAttributes: standardWritable,
    });
    // The newer managed login shows nothing for a client without a style; Cognito's default one is enough.
    new cognito.CfnManagedLoginBranding(this, 'Branding', {
      userPoolId: props.pool.userPool.userPoolId,
      clientId: this.client.userPoolClientId,
      useCognitoProvidedValues: true,
    });
  }
}
