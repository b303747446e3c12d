/**
 * Sign-in on AWS: Cognito managed login with the authorization code flow and PKCE (S256). The verifier and state
 * live in sessionStorage only between the redirect and the callback; the code is exchanged at Cognito's token
 * endpoint from the page (a public client has no secret), and the ID token is used because it carries the tier claim.
 * The PKCE and token-endpoint code is shared with `backtest login` (client/cognito-login.ts).
 */
import { authorizeUrl, createPkceRequest, exchangeCode, TokenEndpointError } from '../../../client/cognito-login.ts';
import type { WebAuthConfig } from '../config.ts';

type CognitoConfig = Extract<WebAuthConfig, { type: 'cognito' }>;

const PENDING_KEY = 'backtest.pkce';

export class SignInError extends Error {
  override name = 'SignInError';
}

export async function startCognitoSignIn(config: CognitoConfig): Promise<void> {
  const request = await createPkceRequest();
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier: request.verifier, state: request.state }));
  window.location.assign(authorizeUrl(config, request));
}

/**
 * On the redirect back (`?code=&state=`, or `?error=`): checks the state, exchanges the code, cleans the address
 * bar and resolves to the ID token. Resolves to undefined when the URL is not a callback.
 */
export async function completeCognitoSignIn(config: CognitoConfig): Promise<string | undefined> {
  const params = new URLSearchParams(window.location.search);
  const code = params.get('code');
  const error = params.get('error');
  if (code === null && error === null) return undefined;
  history.replaceState(null, '', `${window.location.pathname}${window.location.hash}`);
  const pending = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  if (error !== null) throw new SignInError(`Sign-in was refused: ${params.get('error_description') ?? error}.`);
  const { verifier, state } = pending === null ? { verifier: '', state: '' } : (JSON.parse(pending) as { verifier: string; state: string });
  if (verifier === '' || params.get('state') !== state) throw new SignInError('The sign-in answer does not match the request this tab made; sign in again.');
  try {
    return (await exchangeCode(config, code ?? '', verifier)).idToken;
  } catch (failure) {
    if (!(failure instanceof TokenEndpointError)) throw failure;
    throw new SignInError(`Cognito did not issue a token (${failure.error ?? failure.status ?? 'no answer'}); sign in again.`);
  }
}
