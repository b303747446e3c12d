import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, relative } from 'node:path';
import { buildWeb } from '../web/build.ts';
import type { WebConfig } from '../web/src/config.ts';

/** The web app as the local HTTP gateway serves it: built files in memory plus a `config.json` made per request. */
export interface WebAssets {
  /** Answers GET/HEAD for the page, its assets and config.json; false when the path is none of them. */
  serve(req: IncomingMessage, res: ServerResponse, pathname: string): boolean;
  close(): Promise<void>;
}

export interface WebAssetsOptions {
  /** Port of the local WebSocket API: config.json points the page at it. */
  wsPort: () => number;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
};

interface Asset {
  body: Buffer;
  type: string;
  /** Hashed names never change content; index.html must be re-read to pick up a new build. */
  immutable: boolean;
}

/**
 * Builds the web app (esbuild, well under a second) into a temporary folder and keeps the files in memory, so the
 * gateway serves a fixed set of paths and nothing on disk can be reached by a crafted URL. The config has no auth
 * settings locally: the page signs in with a token link (`npm run -s token -- --user alice --link`).
 */
export async function startWebAssets(options: WebAssetsOptions): Promise<WebAssets> {
  const outDir = await mkdtemp(join(tmpdir(), 'backtest-web-'));
  try {
    await buildWeb({ outDir, minify: true });
    const assets = new Map<string, Asset>();
    for (const file of await readdir(outDir, { recursive: true, withFileTypes: true })) {
      if (!file.isFile()) continue;
      const path = join(file.parentPath, file.name);
      const urlPath = `/${relative(outDir, path).split('\\').join('/')}`;
      assets.set(urlPath, { body: await readFile(path), type: CONTENT_TYPES[extname(path)] ?? 'application/octet-stream', immutable: urlPath.startsWith('/assets/') });
    }
    const index = assets.get('/index.html');
    if (index === undefined) throw new Error('the web build wrote no index.html');
    assets.set('/', index);

    return {
      serve(req, res, pathname) {
        const method = req.method ?? 'GET';
        if (method !== 'GET' && method !== 'HEAD') return false;
        if (pathname === '/config.json') {
          const body = Buffer.from(JSON.stringify(configFor(req, options.wsPort())));
          send(res, method, { body, type: 'application/json', immutable: false });
          return true;
        }
        const asset = assets.get(pathname);
        if (asset === undefined) return false;
        send(res, method, asset);
        return true;
      },
      close: () => rm(outDir, { recursive: true, force: true }),
    };
  } catch (error) {
    await rm(outDir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * The API is the origin the page came from (so localhost and 127.0.0.1 both work without CORS surprises); the
 * WebSocket API is the same host on its own port.
 */
function configFor(req: IncomingMessage, wsPort: number): WebConfig {
  const host = req.headers.host ?? '127.0.0.1';
  const hostname = new URL(`http://${host}`).hostname; // IPv6 keeps its brackets
  return { apiUrl: `http://${host}`, wsUrl: `ws://${hostname}:${wsPort}`, auth: { type: 'token-link' } };
}

function send(res: ServerResponse, method: string, asset: Asset): void {
  res.writeHead(200, {
    'content-type': asset.type,
    'content-length': asset.body.length,
    'cache-control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    'x-content-type-options': 'nosniff',
    // The token travels in the fragment and sessionStorage only; no page of ours is framed or leaks a referrer.
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  });
  res.end(method === 'HEAD' ? undefined : asset.body);
}
