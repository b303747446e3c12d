import { authorizeUrl, CLI_LOGIN_PORTS, cliRedirectUri, createPkceRequest, exchangeCode, revokeRefreshToken, TokenEndpointError } from '../../client/cognito-login.ts';
import { CliError, EXIT, UsageError } from '../errors.ts';
import { expiryOf } from '../login-refresh.ts';
import { deleteLogin, loginFilePath, readLogin, writeLogin, type SavedLogin } from '../login-store.ts';
import { openLoopback, type CallbackQuery } from '../loopback-server.ts';
import { openBrowser } from '../open-browser.ts';
import type { Output } from '../output.ts';
import { resolveTarget, type ConnectionOptions } from '../target.ts';
import { describeIdentity, tokenIdentity } from '../token-claims.ts';
import { fetchWebSettings, normalizeWebUrl } from '../web-config.ts';

/** How long `backtest login` waits for the browser to come back: enough to type a password and a code. */
const CALLBACK_TIMEOUT_SECONDS = 120;

export interface LoginOptions {
  web?: string;
  /** false with --no-browser. */
  browser?: boolean;
  json?: boolean;
}

/**
 * Ports and timeout can be moved for tests only (BACKTEST_LOGIN_PORTS, BACKTEST_LOGIN_TIMEOUT_SECONDS): the
 * default ports are the ones the app client lists, and Cognito refuses any other redirect URI.
 */
function loginPorts(env: NodeJS.ProcessEnv): readonly number[] {
  const text = env.BACKTEST_LOGIN_PORTS;
  if (text === undefined || text.trim() === '') return CLI_LOGIN_PORTS;
  const ports = text.split(',').map((p) => Number(p.trim()));
  if (ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) throw new UsageError(`BACKTEST_LOGIN_PORTS must be port numbers separated by commas, got ${JSON.stringify(text)}.`);
  return ports;
}

function loginTimeoutMs(env: NodeJS.ProcessEnv): number {
  const text = env.BACKTEST_LOGIN_TIMEOUT_SECONDS;
  if (text === undefined || text.trim() === '') return CALLBACK_TIMEOUT_SECONDS * 1000;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`BACKTEST_LOGIN_TIMEOUT_SECONDS must be a positive number, got ${JSON.stringify(text)}.`);
  return seconds * 1000;
}

/** The callback, or a CliError when time runs out or the user presses Ctrl-C first. */
async function waitForCallback(callback: Promise<CallbackQuery>, timeoutMs: number): Promise<CallbackQuery> {
  let timer: NodeJS.Timeout | undefined;
  let onSignal: (() => void) | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new CliError(`No answer from the browser within ${Math.round(timeoutMs / 1000)} s; nothing was saved: run backtest login again and finish signing in in the browser.`, EXIT.auth)),
      timeoutMs,
    );
  });
  const interrupted = new Promise<never>((_, reject) => {
    onSignal = () => reject(new CliError('Sign-in interrupted; nothing was saved.', EXIT.interrupted));
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  try {
    return await Promise.race([callback, timedOut, interrupted]);
  } finally {
    clearTimeout(timer);
    process.off('SIGINT', onSignal!);
    process.off('SIGTERM', onSignal!);
  }
}

/**
 * `backtest login`: Cognito managed login in the browser, authorization code with PKCE, the code coming back to a
 * loopback server on a fixed port. Saves the ID and refresh tokens for every later command (login-store.ts).
 */
export async function loginCommand(options: LoginOptions, out: Output, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const path = loginFilePath(env);
  const given = options.web ?? env.BACKTEST_WEB_URL ?? (await readLogin(path).catch(() => undefined))?.webUrl;
  if (given === undefined || given.trim() === '') {
    throw new UsageError('Which stack? Pass --web with the WebUrl output of the deployed stack (or set BACKTEST_WEB_URL), e.g. backtest login --web https://d111111abcdef8.cloudfront.net/.');
  }
  const webUrl = normalizeWebUrl(given);
  const ports = loginPorts(env);
  const timeoutMs = loginTimeoutMs(env);
  const settings = await fetchWebSettings(webUrl);
  if (settings.auth.type !== 'cognito') {
    throw new CliError(`${webUrl} is a local stack that signs its own tokens: no login is needed, the CLI finds a running \`npm start\` by itself.`, EXIT.usage);
  }
  const cognito = { domain: settings.auth.domain, clientId: settings.auth.clientId };

  const loopback = await openLoopback(ports);
  try {
    if (loopback.port !== ports[0]) out.note(`port ${ports[0]} is in use; listening on ${loopback.port} instead`);
    const redirectUri = cliRedirectUri(loopback.port);
    const request = await createPkceRequest();
    const url = authorizeUrl({ ...cognito, redirectUri, scopes: settings.auth.scopes }, request);
    out.note(`${options.browser === false ? 'open' : 'opening your browser; if it does not open, open'} this address to sign in:\n  ${url}`);
    if (options.browser !== false) openBrowser(url);

    const query = await waitForCallback(loopback.callback, timeoutMs);
    if (query.error !== undefined) {
      const reason = query.errorDescription ?? query.error;
      loopback.answer(false, `Sign-in was refused (${reason}). Nothing was saved.`);
      throw new CliError(`Sign-in was refused (${reason.replace(/\.$/, '')}); nothing was saved.`, EXIT.auth);
    }
    if (query.state !== request.state || query.code === undefined) {
      // Someone else's redirect (or a stale tab): its code must not be exchanged with this login's verifier.
      loopback.answer(false, 'This answer does not belong to the sign-in the terminal started. Nothing was saved.');
      throw new CliError('The sign-in answer did not match the request this login made (wrong state); nothing was saved: run backtest login again.', EXIT.auth);
    }
    let tokens;
    try {
      tokens = await exchangeCode({ ...cognito, redirectUri }, query.code, request.verifier);
    } catch (error) {
      loopback.answer(false, 'Cognito did not issue a token. Nothing was saved; see the terminal.');
      if (error instanceof TokenEndpointError && error.status === undefined) {
        throw new CliError(`Cannot reach ${new URL(cognito.domain).origin} to finish signing in; nothing was saved: check your network and run backtest login again.`, EXIT.unreachable, { cause: error });
      }
      const why = error instanceof TokenEndpointError ? (error.error ?? `HTTP ${error.status}`) : (error as Error).message;
      throw new CliError(`Cognito did not issue a token (${why}); nothing was saved: run backtest login again.`, EXIT.auth, { cause: error });
    }
    if (tokens.refreshToken === undefined) {
      loopback.answer(false, 'Cognito issued no refresh token. Nothing was saved.');
      throw new CliError('Cognito issued no refresh token, so the sign-in could not be kept; nothing was saved.', EXIT.auth);
    }
    const login: SavedLogin = {
      webUrl,
      apiUrl: settings.apiUrl,
      wsUrl: settings.wsUrl,
      ...cognito,
      idToken: tokens.idToken,
      refreshToken: tokens.refreshToken,
      expiresAt: expiryOf(tokens.idToken),
    };
    await writeLogin(path, login);
    const identity = tokenIdentity(login.idToken);
    loopback.answer(true, `Signed in as ${identity.user}. You can close this tab.`);
    if (options.json) out.data({ webUrl, apiUrl: login.apiUrl, wsUrl: login.wsUrl, ...identity, expiresAt: login.expiresAt, file: path });
    else out.line(`Signed in to ${webUrl} as ${describeIdentity(identity)}. The token expires at ${login.expiresAt} and is renewed automatically; saved in ${path}.`);
    return EXIT.ok;
  } finally {
    await loopback.close();
  }
}

/**
 * `backtest logout`: revokes the refresh token at Cognito (a copy of the file is then useless) and deletes the file.
 * Not being signed in is not an error. A revocation that fails still deletes the file, and says so.
 */
export async function logoutCommand(options: { json?: boolean }, out: Output, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const path = loginFilePath(env);
  const saved = await readLogin(path).catch(() => undefined);
  let revoked = false;
  let revokeProblem: string | undefined;
  if (saved !== undefined) {
    try {
      await revokeRefreshToken({ domain: saved.domain, clientId: saved.clientId }, saved.refreshToken);
      revoked = true;
    } catch (error) {
      revokeProblem = (error as Error).message;
    }
  }
  const deleted = await deleteLogin(path);
  if (options.json) out.data({ deleted, revoked, file: path });
  else if (!deleted) out.line(`Not signed in (no ${path}); nothing to do.`);
  else if (revokeProblem !== undefined) out.line(`Signed out: deleted ${path}. Cognito could not revoke the refresh token (${revokeProblem}); it stays valid until it expires.`);
  else out.line(`Signed out: deleted ${path}${revoked ? ' and revoked its refresh token' : ''}.`);
  return EXIT.ok;
}

const SOURCES = { flag: '--token', env: 'BACKTEST_TOKEN', login: 'backtest login', local: "signed here with the local stack's key" } as const;

/** `backtest whoami`: where the CLI points, where its token comes from, whose it is and when it expires. */
export async function whoamiCommand(options: ConnectionOptions & { json?: boolean }, out: Output): Promise<number> {
  const target = await resolveTarget(options);
  const identity = tokenIdentity(target.token);
  const login = target.tokenSource === 'login' ? await readLogin(loginFilePath()) : undefined;
  if (options.json) {
    out.data({ apiUrl: target.apiUrl, wsUrl: target.wsUrl ?? null, tokenSource: target.tokenSource, ...(login ? { webUrl: login.webUrl } : {}), ...identity });
    return EXIT.ok;
  }
  const expires = identity.expiresAt === undefined ? 'never (no exp claim)' : `${identity.expiresAt} (${relative(Date.parse(identity.expiresAt) - Date.now())})`;
  const rows: [string, string][] = [
    ['API', target.apiUrl],
    ['WebSocket', target.wsUrl ?? '(none: watching polls)'],
    ...(login ? ([['web app', login.webUrl]] as [string, string][]) : []),
    ['token', SOURCES[target.tokenSource]],
    ['user', identity.email !== undefined && identity.sub !== undefined ? `${identity.email} (sub ${identity.sub})` : identity.user],
    ['tier', `${identity.tier}${identity.admin ? ', admin' : ''}`],
    ['expires', expires],
  ];
  for (const [k, v] of rows) out.line(`${k.padEnd(10)} ${v}`);
  return EXIT.ok;
}

function relative(ms: number): string {
  if (ms <= 0) return 'expired';
  const minutes = Math.round(ms / 60_000);
  return minutes < 60 ? `in ${minutes} min` : `in ${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
