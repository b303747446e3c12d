/**
 * Stand-ins for the AWS hosting of the web app, for the Cognito sign-in test: a static server for the built files
 * with a config.json naming Cognito (as the CDK stack writes it), and a fake Cognito managed login that checks what
 * the real one checks (client id, redirect URI, PKCE S256 verifier against the challenge, one-time code) and issues
 * an ID token the local API accepts. It also serves what `backtest login` uses: a refresh-token grant, revocation,
 * and a bare config.json.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, relative } from 'node:path';
import { buildWeb } from '../../../web/build.ts';
import type { WebConfig } from '../../../web/src/config.ts';

export interface Listening {
  url: string;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function stop(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** The built web app on its own origin (as CloudFront serves it), with the given config.json. */
export async function serveBuiltWeb(config: (origin: string) => WebConfig): Promise<Listening> {
  const dir = await mkdtemp(join(tmpdir(), 'backtest-web-static-'));
  await buildWeb({ outDir: dir, minify: true });
  const files = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files.set(`/${relative(dir, join(entry.parentPath, entry.name))}`, await readFile(join(entry.parentPath, entry.name)));
  }
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
  let origin = '';
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/config.json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(config(origin)));
      return;
    }
    const file = path === '/' ? '/index.html' : path;
    const body = files.get(file);
    if (body === undefined) res.writeHead(404).end();
    else res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(body);
  });
  origin = await listen(server);
  return {
    url: origin,
    close: async () => {
      await stop(server);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Only a config.json on its own origin: what `backtest login --web` reads from a deployed web app (no build needed). */
export async function serveWebConfig(config: WebConfig | ((origin: string) => WebConfig)): Promise<Listening> {
  let origin = '';
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/config.json') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(typeof config === 'function' ? config(origin) : config));
    else res.writeHead(404).end();
  });
  origin = await listen(server);
  return { url: origin, close: () => stop(server) };
}

export interface FakeCognito extends Listening {
  readonly clientId: string;
  /** Token exchanges that passed every check. */
  readonly exchanges: number;
  /** Refresh-token grants that passed every check. */
  readonly refreshes: number;
  /** Refresh tokens revoked at /oauth2/revoke. */
  readonly revocations: number;
  /** Why the last refused exchange was refused. */
  readonly lastRefusal: string | undefined;
  /** Makes every refresh token issued so far unusable (as a revocation, or the 30 days passing, would). */
  expireRefreshTokens(): void;
}

export async function startFakeCognito(options: { issueIdToken: () => Promise<string> }): Promise<FakeCognito> {
  const clientId = 'web-client-test';
  const codes = new Map<string, { challenge: string; redirectUri: string }>();
  let exchanges = 0;
  let refreshes = 0;
  let revocations = 0;
  // Refresh tokens issued with a code exchange (as Cognito does); a refresh grant checks them and the client id.
  const refreshTokens = new Set<string>();
  let lastRefusal: string | undefined;
  const readForm = async (req: IncomingMessage): Promise<URLSearchParams> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    // The token endpoint is called from the page, cross-origin, as Cognito allows.
    res.setHeader('access-control-allow-origin', '*');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'access-control-allow-headers': 'content-type', 'access-control-allow-methods': 'POST' }).end();
      return;
    }
    if (url.pathname === '/oauth2/authorize' && req.method === 'GET') {
      const q = url.searchParams;
      const redirectUri = q.get('redirect_uri') ?? '';
      if (q.get('response_type') !== 'code' || q.get('client_id') !== clientId || q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge') || !q.get('state')) {
        res.writeHead(400).end('bad authorize request');
        return;
      }
      const code = randomBytes(12).toString('hex');
      codes.set(code, { challenge: q.get('code_challenge')!, redirectUri });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state')!);
      res.writeHead(302, { location: back.toString() }).end();
      return;
    }
    if (url.pathname === '/oauth2/revoke' && req.method === 'POST') {
      void readForm(req).then((form) => {
        if (form.get('client_id') !== clientId) {
          res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_client' }));
          return;
        }
        if (refreshTokens.delete(form.get('token') ?? '')) revocations += 1;
        // Cognito answers 200 for an unknown token too.
        res.writeHead(200).end();
      });
      return;
    }
    if (url.pathname === '/oauth2/token' && req.method === 'POST') {
      void readForm(req).then(async (form) => {
        if (form.get('grant_type') !== 'refresh_token') return form;
        const refusal = form.get('client_id') !== clientId ? 'client_id' : !refreshTokens.has(form.get('refresh_token') ?? '') ? 'refresh_token' : undefined;
        if (refusal !== undefined) {
          lastRefusal = refusal;
          res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_grant' }));
          return undefined;
        }
        refreshes += 1;
        const idToken = await options.issueIdToken();
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id_token: idToken, access_token: 'unused', token_type: 'Bearer', expires_in: 3600 }));
        return undefined;
      }).then(async (form) => {
        if (form === undefined) return;
        const pending = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        const verifier = form.get('code_verifier') ?? '';
        const refusal =
          form.get('grant_type') !== 'authorization_code' ? 'grant_type'
          : form.get('client_id') !== clientId ? 'client_id'
          : pending === undefined ? 'code'
          : form.get('redirect_uri') !== pending.redirectUri ? 'redirect_uri'
          : createHash('sha256').update(verifier).digest('base64url') !== pending.challenge ? 'code_verifier'
          : undefined;
        if (refusal !== undefined) {
          lastRefusal = refusal;
          res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_grant' }));
          return;
        }
        exchanges += 1;
        const idToken = await options.issueIdToken();
        const refreshToken = randomBytes(16).toString('hex');
        refreshTokens.add(refreshToken);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id_token: idToken, access_token: 'unused', refresh_token: refreshToken, token_type: 'Bearer', expires_in: 3600 }));
      });
      return;
    }
    res.writeHead(404).end();
  });
  const url = await listen(server);
  return {
    url,
    clientId,
    get exchanges() {
      return exchanges;
    },
    get refreshes() {
      return refreshes;
    },
    get revocations() {
      return revocations;
    },
    get lastRefusal() {
      return lastRefusal;
    },
    expireRefreshTokens: () => refreshTokens.clear(),
    close: () => stop(server),
  };
}
