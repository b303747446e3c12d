import { parseArgs } from 'node:util';
import { loadOrCreateKeys, signToken, TokenOptionsError } from './keys.ts';
import { isTier } from '../lambdas/core/tiers.ts';

/**
 * `npm run -s token -- --user <id> --tier <free|basic|pro> [--admin] [--ttl 3600]`
 * Prints only the token, so `TOKEN=$(npm run -s token -- --user alice --tier pro)` works.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      user: { type: 'string' },
      tier: { type: 'string', default: 'free' },
      admin: { type: 'boolean', default: false },
      ttl: { type: 'string', default: '3600' },
      'key-dir': { type: 'string' },
    },
    strict: true,
  });
  if (values.user === undefined) throw new TokenOptionsError('--user is required (the token subject)');
  if (!isTier(values.tier)) throw new TokenOptionsError(`--tier must be free, basic or pro, got ${values.tier}`);
  const ttlSeconds = Number(values.ttl);
  const keys = await loadOrCreateKeys(values['key-dir']);
  const token = await signToken(keys, { userId: values.user, tier: values.tier, admin: values.admin, ttlSeconds });
  process.stdout.write(`${token}\n`);
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`token: ${message}\n`);
  process.exit(2);
});
