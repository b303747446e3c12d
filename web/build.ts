import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { build } from 'esbuild';

export type { WebConfig, WebAuthConfig } from './src/config.ts';

export interface BuildWebOptions {
  /** Folder to write index.html and assets/ into; emptied first. */
  outDir: string;
  /** Minify the bundle (what CloudFront serves). @default true */
  minify?: boolean;
}

const WEB_DIR = import.meta.dirname;

/**
 * Builds the web app as static files: index.html and content-hashed JS and CSS under assets/. The runtime
 * settings (API and WebSocket URLs, sign-in) are NOT baked in: the page fetches `config.json` next to index.html,
 * which `npm start` serves and the CDK stack writes beside the files, so one build runs anywhere.
 */
export async function buildWeb(options: BuildWebOptions): Promise<void> {
  const outDir = options.outDir;
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const result = await build({
    entryPoints: { app: join(WEB_DIR, 'src', 'main.ts') },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome120', 'firefox120', 'safari17'],
    minify: options.minify ?? true,
    sourcemap: false,
    outdir: join(outDir, 'assets'),
    // Hashed names: CloudFront and browsers may cache assets for ever; only index.html and config.json change.
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    metafile: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const outputs = Object.entries(result.metafile.outputs);
  const js = outputs.find(([path, o]) => path.endsWith('.js') && o.entryPoint !== undefined)?.[0];
  const css = outputs.find(([path]) => path.endsWith('.css'))?.[0];
  if (js === undefined) throw new Error('esbuild wrote no JavaScript entry');
  const template = await readFile(join(WEB_DIR, 'index.html'), 'utf8');
  const assetUrl = (file: string): string => `./assets/${basename(file)}`;
  const html = template
    .replace('<!--styles-->', css !== undefined ? `<link rel="stylesheet" href="${assetUrl(css)}">` : '')
    .replace('<!--script-->', `<script type="module" src="${assetUrl(js)}"></script>`);
  await writeFile(join(outDir, 'index.html'), html);
}

