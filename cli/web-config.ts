import { z } from 'zod';
import { CliError, EXIT, UsageError } from './errors.ts';

/**
 * What `backtest login` needs from the deployed web app's config.json (lib/constructs/web-hosting.ts writes it; the
 * web app reads the same file, web/src/config.ts). Read over HTTP so the only thing a user has to know is the WebUrl
 * output: the API, the WebSocket, the Cognito domain and the app client all come from there.
 */
export type WebAuth = { type: 'token-link' } | { type: 'cognito'; domain: string; clientId: string; scopes: string[] };

export interface WebSettings {
  apiUrl: string;
  wsUrl: string;
  auth: WebAuth;
}

const httpUrl = z.url({ protocol: /^https?$/ });
const schema = z.object({
  apiUrl: httpUrl,
  wsUrl: z.url({ protocol: /^wss?$/ }),
  auth: z.discriminatedUnion('type', [
    z.object({ type: z.literal('token-link') }),
    z.object({ type: z.literal('cognito'), domain: httpUrl, clientId: z.string().min(1), scopes: z.array(z.string().min(1)).min(1) }),
  ]),
});

const trim = (url: string): string => url.replace(/\/+$/, '');

/** The web app's base URL as given (`--web`), checked and without a trailing slash or page. */
export function normalizeWebUrl(given: string): string {
  let url: URL;
  try {
    url = new URL(given.trim());
  } catch {
    throw new UsageError(`--web ${JSON.stringify(given)} is not a URL: pass the WebUrl output of the deployed stack, e.g. https://d111111abcdef8.cloudfront.net/.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`--web must be an https URL (the WebUrl output of the deployed stack), not ${url.protocol}.`);
  // A link to a page of the app (…/index.html, …/#token=) still names the app.
  const path = url.pathname.replace(/\/index\.html$/, '');
  return trim(`${url.origin}${path}`);
}

export async function fetchWebSettings(webUrl: string, fetchFn: typeof fetch = fetch): Promise<WebSettings> {
  const where = `${webUrl}/config.json`;
  let response: Response;
  try {
    response = await fetchFn(where, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(15_000) });
  } catch (error) {
    throw new CliError(`Cannot reach ${where}: check the --web URL (the WebUrl output of the deployed stack) and your network.`, EXIT.unreachable, { cause: error });
  }
  if (!response.ok) throw new CliError(`${where} answered ${response.status}: is ${webUrl} the WebUrl output of the deployed stack?`, EXIT.usage);
  const body: unknown = await response.json().catch(() => undefined);
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path.join('.') || '(body)';
    throw new CliError(`${where} is not the backtest web app's config (${field} is missing or wrong): is ${webUrl} the WebUrl output of the deployed stack?`, EXIT.usage);
  }
  const { apiUrl, wsUrl, auth } = parsed.data;
  return { apiUrl: trim(apiUrl), wsUrl: trim(wsUrl), auth: auth.type === 'cognito' ? { ...auth, domain: trim(auth.domain) } : auth };
}
