/**
 * The symbol catalog's part of the composition root, in its own module so `GET /symbols` bundles only the S3 client
 * (dependencies.ts names every client, and a bundle keeps whatever its imported modules import: the DynamoDB document
 * client cannot be dropped). dependencies.ts re-exports it and builds submit's catalog with it.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { CachedSymbolCatalog } from '../../adapters/cached-symbol-catalog.ts';
import { CsvFolderSymbolCatalog } from '../../adapters/csv-folder-symbol-catalog.ts';
import { S3SymbolCatalog } from '../../adapters/s3-symbol-catalog.ts';
import type { SymbolCatalog } from '../../core/ports/symbol-catalog.ts';
import { envSchemas, parseEnv } from './env.ts';

type Env = NodeJS.ProcessEnv;

/**
 * What data exists (S3 listing on AWS, the CSV folder locally), cached for 5 minutes per process. The Lambda entries
 * that use it start the first listing at cold start (warmSymbolCatalog), so the first request rarely waits for it.
 */
export function symbolCatalog(env: Env): SymbolCatalog {
  const e = parseEnv(envSchemas.marketData, env);
  const inner = e.DATA_DIR !== undefined ? new CsvFolderSymbolCatalog({ dir: e.DATA_DIR }) : new S3SymbolCatalog({ client: new S3Client({}), bucket: e.MARKET_DATA_BUCKET! });
  return new CachedSymbolCatalog(inner);
}

/** Starts the first listing without waiting for it; a failure is retried by the first request that needs the listing. */
export function warmSymbolCatalog(catalog: SymbolCatalog): void {
  catalog.list().catch(() => {});
}

/** `GET /symbols`: the market data listing only. */
export function symbolsDependencies(env: Env = process.env): { symbols: SymbolCatalog } {
  return { symbols: symbolCatalog(env) };
}
