/**
 * Sign-in on AWS: Cognito managed login with the authorization code flow and PKCE (S256). The verifier and state
 * live in sessionStorage only between the redirect and the callback; the code is exchanged at Cognito's token
 * endpoint from the page (a public client has no secret), and the ID token is used because it carries the tier claim.
 */
import type { WebAuthConfig } from '../config.ts';

type CognitoConfig = Extract<WebAuthConfig, { type: 'cognito' }>;

const PENDING_KEY = 'backtest.pkce';

export class SignInError extends Error {
  override name = 'SignInError';
}

export async function startCognitoSignIn(config: CognitoConfig): Promise<void> {
  const verifier = base64Url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64Url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state }));
  const url = new URL('/oauth2/authorize', config.domain);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: config.redirectUri,
    scope: config.scopes.join(' '),
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  window.location.assign(url.toString());
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
  const response = await fetch(new URL('/oauth2/token', config.domain), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', client_id: config.clientId, code: code ?? '', redirect_uri: config.redirectUri, code_verifier: verifier }),
  });
  const body = (await response.json().catch(() => ({}))) as { id_token?: string; error?: string };
  if (!response.ok || typeof body.id_token !== 'string') throw new SignInError(`Cognito did not issue a token (${body.error ?? response.status}); sign in again.`);
  return body.id_token;
}

function base64Url(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
