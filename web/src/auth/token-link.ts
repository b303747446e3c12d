/**
 * Local sign-in: `/#token=<JWT>` (what `npm run -s token -- --user alice --link` prints). A fragment is never sent
 * to a server; once read, it is removed from the address bar (and so from history and bookmarks).
 */
export function takeTokenFromFragment(): string | undefined {
  const match = /^#token=([^&]+)/.exec(window.location.hash);
  if (match === null) return undefined;
  history.replaceState(null, '', `${window.location.pathname}${window.location.search}`);
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return match[1];
  }
}
