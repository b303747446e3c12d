/**
 * The runtime settings the page reads from `config.json` beside index.html. Not baked into the bundle, so one build
 * serves `npm start` (token links) and every deployed stack (Cognito), each host writing its own file.
 */
export type WebAuthConfig =
  | { type: 'token-link' }
  | { type: 'cognito'; domain: string; clientId: string; redirectUri: string; scopes: string[] };

export interface WebConfig {
  /** Base URL of the HTTP API, without a trailing slash. */
  apiUrl: string;
  /** WebSocket API URL (wss:// on AWS), without the token query. */
  wsUrl: string;
  auth: WebAuthConfig;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Checks a parsed config.json; a wrong one names the field, so a broken deployment says what to fix. */
export function parseWebConfig(value: unknown): WebConfig {
  const obj = asObject(value, 'config.json');
  const apiUrl = asUrl(obj.apiUrl, 'apiUrl', ['http:', 'https:']);
  const wsUrl = asUrl(obj.wsUrl, 'wsUrl', ['ws:', 'wss:']);
  const auth = asObject(obj.auth, 'auth');
  if (auth.type === 'token-link') return { apiUrl, wsUrl, auth: { type: 'token-link' } };
  if (auth.type === 'cognito') {
    const scopes = auth.scopes;
    if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string')) throw new ConfigError('config.json: auth.scopes must be a list of strings');
    return {
      apiUrl,
      wsUrl,
      auth: {
        type: 'cognito',
        domain: asUrl(auth.domain, 'auth.domain', ['https:', 'http:']),
        clientId: asString(auth.clientId, 'auth.clientId'),
        redirectUri: asUrl(auth.redirectUri, 'auth.redirectUri', ['https:', 'http:']),
        scopes: scopes as string[],
      },
    };
  }
  throw new ConfigError('config.json: auth.type must be "token-link" or "cognito"');
}

function asObject(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`config.json: ${name} must be an object`);
  return value as Record<string, unknown>;
}

function asString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new ConfigError(`config.json: ${name} must be a non-empty string`);
  return value;
}

function asUrl(value: unknown, name: string, protocols: string[]): string {
  const text = asString(value, name);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`config.json: ${name} is not a URL (${text})`);
  }
  if (!protocols.includes(url.protocol)) throw new ConfigError(`config.json: ${name} must start with ${protocols.join(' or ')}`);
  return text.replace(/\/+$/, '');
}
