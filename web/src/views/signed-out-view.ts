/** Shown without a usable token: how to sign in here (a token link locally, Cognito on AWS), or that it expired. */
import { h } from '../dom.ts';
import type { WebAuthConfig } from '../config.ts';

export function signedOutView(auth: WebAuthConfig, reason: 'signed-out' | 'expired' | 'error', detail: string | undefined, signIn: () => void): HTMLElement {
  const heading = reason === 'expired' ? 'Your session expired' : reason === 'error' ? 'Sign-in failed' : 'Sign in';
  return h(
    'section',
    { class: 'panel signed-out', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title', tabindex: -1 }, heading),
    detail !== undefined ? h('p', {}, detail) : null,
    auth.type === 'cognito'
      ? h('button', { type: 'button', class: 'primary', onclick: signIn }, reason === 'expired' ? 'Sign in again' : 'Sign in')
      : [
          h('p', {}, reason === 'expired' ? 'Open a new sign-in link to go on. In a terminal in your clone, run:' : 'This local service signs you in with a link. In a terminal in your clone, run:'),
          h('pre', {}, h('code', {}, 'npm run -s token -- --user alice --tier pro --link')),
          h('p', {}, 'and open the link it prints (add --admin for the operator view).'),
        ],
  );
}
