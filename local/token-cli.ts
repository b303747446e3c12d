import { parseArgs } from 'node:util';
import { loadOrCreateKeys, signToken, TokenOptionsError } from './keys.ts';
import { readStackFile } from './stack-file.ts';
import { resolveTokenTier } from './token-tier.ts';

/**
 * `npm run -s token -- --user <id> [--tier <free|basic|pro>] [--admin] [--ttl 3600]`
 * Prints only the token, so `TOKEN=$(npm run -s token -- --user alice --tier pro)` works. Without `--tier`, the tier
 * is the one an admin set for the user in the running `npm start` (found through .local/stack.json), else `free`.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      user: { type: 'string' },
      tier: { type: 'string' },
      admin: { type: 'boolean', default: false },
      ttl: { type: 'string', default: '3600' },
      'key-dir': { type: 'string' },
    },
    strict: true,
  });
  if (values.user === undefined) throw new TokenOptionsError('--user is required (the token subject)');
  const userId = values.user;
  const { tier, source } = await resolveTokenTier({ userId, tier: values.tier, stack: values.tier === undefined ? readStackFile() : undefined });
  // On stderr, so `$(...)` captures only the token.
  if (source === 'stack') process.stderr.write(`token: tier ${tier}, as stored for ${userId} in the running stack\n`);
  const ttlSeconds = Number(values.ttl);
  const keys = await loadOrCreateKeys(values['key-dir']);
  const token = await signToken(keys, { userId, tier, admin: values.admin, ttlSeconds });
  process.stdout.write(`${token}\n`);
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`token: ${message}\n`);
  process.exit(2);
});
