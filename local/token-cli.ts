import { parseArgs } from 'node:util';
import { loadOrCreateKeys, signToken, TokenOptionsError } from './keys.ts';
import { readStackFile } from './stack-file.ts';
import { resolveTokenTier } from './token-tier.ts';

const USAGE = `usage: npm run -s token -- --user <id> [--tier free|basic|pro] [--admin] [--ttl <seconds>] [--link] [--key-dir <dir>]
Prints a JWT the local stack accepts, and only the token, so TOKEN=$(npm run -s token -- --user alice) works.
  --user <id>      the token's subject (required)
  --tier <tier>    free, basic or pro; default: the tier an admin set for the user in the running npm start, else free
  --admin          add the admin claim (GET /admin/..., npx backtest admin ...)
  --ttl <seconds>  lifetime (default 3600: a token lasts 1 hour)
  --link           print the running npm start's web sign-in link (http://127.0.0.1:3000/#token=...) instead
  --key-dir <dir>  where the signing key lives (default .local/keys, the one npm start uses)
npx backtest signs its own local tokens; this is for curl, the web app and other clients.`;

/**
 * `npm run -s token -- --user <id> [--tier <free|basic|pro>] [--admin] [--ttl 3600] [--link]`
 * Prints only the token, so `TOKEN=$(npm run -s token -- --user alice --tier pro)` works. Without `--tier`, the tier
 * is the one an admin set for the user in the running `npm start` (found through .local/stack.json), else `free`.
 */
async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        user: { type: 'string' },
        tier: { type: 'string' },
        admin: { type: 'boolean', default: false },
        ttl: { type: 'string', default: '3600' },
        link: { type: 'boolean', default: false },
        'key-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
  } catch (error) {
    throw new TokenOptionsError(`${(error as Error).message}\n${USAGE}`);
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (values.user === undefined) throw new TokenOptionsError(`--user is required (the token subject)\n${USAGE}`);
  const userId = values.user;
  const running = readStackFile();
  if (values.link && running === undefined) throw new TokenOptionsError('--link needs a running npm start (none found through .local/stack.json)');
  const { tier, source } = await resolveTokenTier({ userId, tier: values.tier, stack: values.tier === undefined ? running : undefined });
  // On stderr, so `$(...)` captures only the token.
  if (source === 'stack') process.stderr.write(`token: tier ${tier}, as stored for ${userId} in the running stack\n`);
  const ttlSeconds = Number(values.ttl);
  const keys = await loadOrCreateKeys(values['key-dir']);
  const token = await signToken(keys, { userId, tier, admin: values.admin, ttlSeconds });
  // The fragment never reaches a server; the web app reads it and removes it from the address bar.
  process.stdout.write(values.link ? `${running!.httpUrl}/#token=${token}\n` : `${token}\n`);
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`token: ${message}\n`);
  process.exit(2);
});
