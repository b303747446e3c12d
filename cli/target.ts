import { userInfo } from 'node:os';
import type { StackFile } from '../local/stack-file.ts';
import { isTier } from '../lambdas/core/tiers.ts';
import { CliError, EXIT, UsageError } from './errors.ts';
import { freshLogin } from './login-refresh.ts';
import { loginFilePath, readLogin } from './login-store.ts';
import { describeIdentity, tokenIdentity } from './token-claims.ts';

/** The flags every API command takes; each has an environment variable, and the flag wins. */
export interface ConnectionOptions {
  api?: string;
  ws?: string;
  token?: string;
  /** Local stack only: the user the CLI signs its own token for. */
  user?: string;
  /** Local stack only: the tier of that token. */
  tier?: string;
}

/** Where the CLI sends requests, with what token, and how it found them (said on stderr, once). */
export interface Target {
  apiUrl: string;
  /** Absent when neither given nor known from a local stack: watching then polls. */
  wsUrl?: string;
  token: string;
  /** `flag`, `env`, `login` (saved by `backtest login`) or `local` (signed here with the local stack's key). */
  tokenSource: 'flag' | 'env' | 'login' | 'local';
  /** The one line that says which stack and identity were found, when any were found rather than given. */
  found?: string;
  /** With tokenSource `login`: the saved login's file, to renew the token during a long command. */
  loginFile?: string;
}

export interface ResolveOptions {
  env?: NodeJS.ProcessEnv;
  /** Admin commands get a local token with the admin claim (locally you are the operator). */
  admin?: boolean;
  /** The running local stack, if any (injected by tests; default: .local/stack.json or LOCAL_STACK_FILE). */
  readStack?: () => StackFile | undefined;
  /** The saved login's file; null ignores any saved login (tests). @default loginFilePath(env) */
  loginFile?: string | null;
  /** For renewing the saved login's token. @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** The user the CLI signs local tokens for when `--user` / BACKTEST_USER is not given. */
export function defaultLocalUser(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BACKTEST_USER) return env.BACKTEST_USER;
  try {
    const name = userInfo().username;
    if (name && name !== 'root') return name;
  } catch {
    // No passwd entry (some containers): fall through to a fixed name.
  }
  return 'local-user';
}

/** The same API: origin and path (a stage path on AWS), ignoring a trailing slash. */
const sameApi = (a: string, b: string): boolean => {
  try {
    const x = new URL(a);
    const y = new URL(b);
    return x.origin === y.origin && x.pathname.replace(/\/+$/, '') === y.pathname.replace(/\/+$/, '');
  } catch {
    return false;
  }
};

const sameOrigin = (a: string, b: string): boolean => {
  try {
    const x = new URL(a);
    const y = new URL(b);
    return x.origin === y.origin;
  } catch {
    return false;
  }
};

async function readRunningStack(): Promise<StackFile | undefined> {
  const { readStackFile, STACK_FILE } = await import('../local/stack-file.ts');
  try {
    return readStackFile();
  } catch (error) {
    throw new CliError(`${STACK_FILE} is unreadable (${(error as Error).message}): delete it, or pass --api and --token.`, EXIT.usage, { cause: error });
  }
}

/**
 * Flags, then BACKTEST_API_URL / BACKTEST_WS_URL / BACKTEST_TOKEN, then the sign-in `backtest login` saved (used when
 * no token is given and no other API is named; its ID token is renewed first when it has less than a minute left),
 * then a running `npm start` (its stack file). Against
 * that local stack and without a token, the CLI signs one itself with the stack's key (the same key `npm run token`
 * uses): user `--user` / BACKTEST_USER (default: the login name), tier `--tier`, else the tier an admin stored for
 * that user, else free. A deployed stack has no such key: a token is required there.
 */
export async function resolveTarget(options: ConnectionOptions, resolve: ResolveOptions = {}): Promise<Target> {
  const env = resolve.env ?? process.env;
  let apiUrl = options.api ?? env.BACKTEST_API_URL;
  let wsUrl = options.ws ?? env.BACKTEST_WS_URL;
  const given = options.token ?? env.BACKTEST_TOKEN;
  const tokenSource = options.token !== undefined ? 'flag' : given !== undefined ? 'env' : 'local';

  // Each setting on its own: a token given without an API goes to the saved sign-in's API.
  let viaLogin: string | undefined;
  if ((given === undefined || apiUrl === undefined) && resolve.loginFile !== null) {
    const path = resolve.loginFile ?? loginFilePath(env);
    const saved = await readLogin(path);
    if (saved !== undefined && given !== undefined && apiUrl === undefined) {
      apiUrl = saved.apiUrl;
      wsUrl ??= saved.wsUrl;
      viaLogin = `using the API of your sign-in to ${saved.webUrl}`;
    } else if (saved !== undefined && given === undefined && (apiUrl === undefined || sameApi(apiUrl, saved.apiUrl))) {
      const { login, refreshed } = await freshLogin(path, saved, resolve.fetch ? { fetch: resolve.fetch } : {});
      const who = describeIdentity(tokenIdentity(login.idToken));
      return {
        apiUrl: apiUrl ?? login.apiUrl,
        wsUrl: wsUrl ?? login.wsUrl,
        token: login.idToken,
        tokenSource: 'login',
        loginFile: path,
        found: `signed in to ${login.webUrl} as ${who}${refreshed ? ' (token renewed)' : ''}`,
      };
    }
  }

  // The stack file is only read when it can matter: no API URL, or a token to sign for a given local URL.
  let stack: StackFile | undefined;
  if (apiUrl === undefined || given === undefined || wsUrl === undefined) stack = resolve.readStack ? resolve.readStack() : await readRunningStack();
  let found: string | undefined;
  if (apiUrl === undefined) {
    if (stack === undefined) {
      throw new CliError(
        'No API to talk to: no running `npm start` was found and no saved sign-in; start one, or run backtest login --web <WebUrl> for a deployed stack (or pass --api URL and --token JWT).',
        EXIT.unreachable,
      );
    }
    apiUrl = stack.httpUrl;
    found = `using the local stack (npm start, pid ${stack.pid}) at ${stack.httpUrl}`;
  } else if (stack !== undefined && !sameOrigin(apiUrl, stack.httpUrl)) {
    stack = undefined;
  }
  try {
    new URL(apiUrl);
  } catch {
    throw new UsageError(`--api ${JSON.stringify(apiUrl)} is not a URL (e.g. http://127.0.0.1:3000 or https://abc.execute-api.eu-west-1.amazonaws.com).`);
  }
  if (wsUrl === undefined && stack !== undefined) wsUrl = stack.wsUrl;

  if (given !== undefined) {
    if (given.trim() === '') throw new UsageError('The token is empty: pass --token JWT or set BACKTEST_TOKEN.');
    return { apiUrl, ...(wsUrl !== undefined ? { wsUrl } : {}), token: given.trim(), tokenSource: tokenSource as 'flag' | 'env', ...(found ? { found } : viaLogin ? { found: viaLogin } : {}) };
  }
  if (stack === undefined) {
    throw new CliError(
      `No token for ${apiUrl}: run backtest login --web <WebUrl> for a deployed stack, or pass --token JWT or set BACKTEST_TOKEN (an ID token, see docs/deploy.md; locally \`npm run -s token -- --user <id>\`).`,
      EXIT.auth,
    );
  }
  const userId = options.user ?? defaultLocalUser(env);
  const { loadOrCreateKeys, signToken, TokenOptionsError } = await import('../local/keys.ts');
  try {
    // The stored tier needs the DynamoDB client (slow to load): only when --tier does not say.
    const { tier } = options.tier !== undefined && isTier(options.tier)
      ? { tier: options.tier }
      : await (await import('../local/token-tier.ts')).resolveTokenTier({ userId, tier: options.tier, stack });
    const keys = await loadOrCreateKeys();
    const token = await signToken(keys, { userId, tier, admin: resolve.admin ?? false, ttlSeconds: 3600 });
    const who = `signed in as ${userId} (${tier}${resolve.admin ? ', admin' : ''}) with the local key`;
    return { apiUrl, ...(wsUrl !== undefined ? { wsUrl } : {}), token, tokenSource: 'local', found: found ? `${found}, ${who}` : who };
  } catch (error) {
    if (error instanceof TokenOptionsError) throw new UsageError(`${error.message.replace(/\.$/, '')}.`);
    throw new CliError(`Could not sign a local token: ${(error as Error).message.replace(/\.$/, '')}.`, EXIT.auth, { cause: error });
  }
}
