/**
 * The one zod import for code that runs in a Lambda: `import * as z from '.../engine/zod-mini.ts'`.
 *
 * Why zod/mini and not `import { z } from 'zod'`: the classic API hangs every method on every schema, so esbuild
 * cannot drop any of it, and it loads every locale: 443 KB of each function's bundle and about 25 ms of its cold start
 * (docs/performance.md, "Cold starts"). zod/mini is the same validator core with functions instead of methods, so a
 * bundle keeps only what it calls (30-55 KB). Import it as a namespace (`import * as z`): re-exporting the namespace
 * as one object (`export { z }`) defeats tree-shaking and brings the whole library back.
 *
 * Why the locale: zod/mini has no default messages (every issue would say "Invalid input"). The English locale makes
 * the messages exactly the ones classic zod writes, which clients see in problem+json `errors` and tests assert.
 * It is global zod configuration, set here once, before any schema in this process parses.
 */
import { clone, config, globalRegistry, type core } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';

/**
 * Classic zod's `.describe(text)`, which zod/mini lacks as a method: a copy of the schema with `text` as its
 * description in the global registry (JSON Schema `description`), made exactly as classic makes it, so the
 * OpenAPI document does not change. (`.check(z.describe(text))` would also add a no-op check to the copy.)
 */
export function described<T extends core.$ZodType>(schema: T, text: string): T {
  const copy = clone(schema);
  globalRegistry.add(copy, { description: text });
  return copy;
}
