import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { CLI_LOGIN_PORTS } from '../../client/cognito-login.ts';
import { EXIT } from '../../cli/errors.ts';
import { writeLogin, type SavedLogin } from '../../cli/login-store.ts';
import { resolveTarget } from '../../cli/target.ts';
import { openSession } from '../../cli/session.ts';
import { createOutput } from '../../cli/output.ts';
import { createServer as createHttpServer } from 'node:http';
import { PassThrough } from 'node:stream';
import type { StackFile } from '../../local/stack-file.ts';
import type { LocalStack } from '../../local/stack.ts';
import { serveWebConfig, startFakeCognito, type FakeCognito, type Listening } from '../browser/support/fake-cognito.ts';
import { tempDir } from '../support/temp-dir.ts';
import { until } from '../support/until.ts';
import { closedPort, startCliHarness, user, type CliHarness, type Running } from './support/cli-harness.ts';

// `backtest login` as a user runs it against a deployed stack, with stand-ins for what AWS hosts: a config.json naming
// Cognito (as the CDK stack writes it), a fake Cognito managed login that checks client id, redirect URI, PKCE and
// one-time codes and issues ID tokens signed with the local stack's key (so the local API accepts them, as the
// web-app sign-in test does), and the CLI as a child process. The browser is plain HTTP: the test follows the
// printed authorize address, and the fake redirects to the CLI's loopback server with a code.

let harness: CliHarness;
let stack: LocalStack;
let cognito: FakeCognito;
let site: Listening;
const cognitoUser = user('cog');
const email = `${cognitoUser}@example.com`;
/** Lifetime of the next ID token the fake issues: 30 s is inside the CLI's one-minute renewal margin. */
let nextTtl = 3600;

/** A user's environment with its own config folder, and no local stack to fall back on (unless `local`). */
function userEnv(configHome: string, ports: number[], local = false): Record<string, string> {
  return {
    XDG_CONFIG_HOME: configHome,
    BACKTEST_LOGIN_PORTS: ports.join(','),
    ...(local ? {} : { LOCAL_STACK_FILE: join(configHome, 'no-stack.json') }),
  };
}

const sessionFile = (configHome: string): string => join(configHome, 'backtest', 'session.json');

/** Starts `backtest login --no-browser` and waits for the address it prints (or for it to end early). */
async function startLogin(env: Record<string, string>, args: string[] = []): Promise<{ running: Running; url: URL }> {
  const running = harness.start(['login', '--no-browser', '--web', site.url, ...args], env);
  const printed = (): string | undefined => /(http:\/\/\S+\/oauth2\/authorize\?\S+)/.exec(running.stderr())?.[1];
  await until(() => printed() !== undefined || running.child.exitCode !== null, 60_000, 'the authorize address');
  const url = printed();
  if (url === undefined) throw new Error(`login printed no address: ${JSON.stringify(await running.done)}`);
  return { running, url: new URL(url) };
}

/** What the browser does: open the authorize address, follow Cognito's redirect to the loopback server. */
async function followInBrowser(url: URL): Promise<{ status: number; page: string; callback: string }> {
  const authorize = await fetch(url, { redirect: 'manual' });
  expect(authorize.status).toBe(302);
  const callback = authorize.headers.get('location')!;
  const back = await fetch(callback);
  return { status: back.status, page: await back.text(), callback };
}

async function signIn(configHome: string, ports: number[]): Promise<void> {
  const { running, url } = await startLogin(userEnv(configHome, ports));
  const browser = await followInBrowser(url);
  expect(browser.page).toContain('You can close this tab');
  expect((await running.done).code).toBe(0);
}

/** Holds a port on both loopback addresses, as another program would. */
async function occupy(port: number): Promise<Server[]> {
  const servers: Server[] = [];
  for (const host of ['127.0.0.1', '::1']) {
    const server = createServer();
    await new Promise<void>((resolve) => {
      server.once('error', () => resolve()); // no IPv6 here: 127.0.0.1 alone
      server.listen(port, host, () => resolve());
    });
    if (server.listening) servers.push(server);
  }
  return servers;
}
const release = (servers: Server[]) => Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));

/** The port is free again: whatever the outcome, the CLI's loopback server is gone. */
async function expectFree(port: number): Promise<void> {
  const held = await occupy(port);
  expect(held.length).toBeGreaterThan(0);
  await release(held);
}

beforeAll(async () => {
  harness = await startCliHarness('login');
  stack = harness.stack;
  cognito = await startFakeCognito({ issueIdToken: () => stack.token({ userId: cognitoUser, tier: 'basic', ttlSeconds: nextTtl, extraClaims: { email } }) });
  site = await serveWebConfig({
    apiUrl: stack.httpUrl,
    wsUrl: stack.wsUrl,
    auth: { type: 'cognito', domain: cognito.url, clientId: cognito.clientId, redirectUri: 'https://unused.example/', scopes: ['openid', 'email'] },
  });
});

afterAll(async () => {
  await site?.close();
  await cognito?.close();
  await harness?.stop();
});

describe('backtest login', () => {
  it('signs in through the loopback redirect, saves a 0600 session, and every command then uses it', async () => {
    const home = tempDir('login-home-');
    const ports = [await closedPort(), await closedPort()];
    const exchanges = cognito.exchanges;
    nextTtl = 3600;

    const { running, url } = await startLogin(userEnv(home, ports));
    expect(url.origin).toBe(cognito.url);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: cognito.clientId,
      redirect_uri: `http://localhost:${ports[0]}/callback`,
      scope: 'openid email',
      code_challenge_method: 'S256',
    });
    const browser = await followInBrowser(url);
    const done = await running.done;

    expect(browser.status).toBe(200);
    expect(browser.page).toContain(`Signed in as ${email}. You can close this tab.`);
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(new RegExp(`^Signed in to ${site.url} as ${email} \\(sub ${cognitoUser}\\), tier basic\\. The token expires at \\S+Z and is renewed automatically; saved in ${sessionFile(home)}\\.$`, 'm'));
    expect(cognito.exchanges).toBe(exchanges + 1);
    const file = sessionFile(home);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'backtest')).mode & 0o777).toBe(0o700);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved).toMatchObject({ webUrl: site.url, apiUrl: stack.httpUrl, wsUrl: stack.wsUrl, domain: cognito.url, clientId: cognito.clientId });
    expect(saved.refreshToken).toMatch(/^[0-9a-f]{32}$/);
    expect(Date.parse(saved.expiresAt)).toBeGreaterThan(Date.now() + 50 * 60_000);
    await expectFree(ports[0]);

    // No local stack to fall back on: the saved sign-in is the only way `me` can reach the API as this user.
    const me = await harness.cli(['me'], userEnv(home, ports));
    expect(me.code).toBe(0);
    expect(me.stdout).toMatch(new RegExp(`^user +${cognitoUser}$`, 'm'));
    expect(me.stdout).toMatch(/^tier +basic$/m);
    expect(me.stderr).toBe(`backtest: signed in to ${site.url} as ${email} (sub ${cognitoUser}), tier basic\n`);

    const whoami = await harness.cli(['whoami', '--json'], userEnv(home, ports));
    expect(whoami.code).toBe(0);
    expect(JSON.parse(whoami.stdout)).toMatchObject({ apiUrl: stack.httpUrl, wsUrl: stack.wsUrl, tokenSource: 'login', webUrl: site.url, user: email, sub: cognitoUser, tier: 'basic', expiresAt: saved.expiresAt });

    // A token given on the command line still wins over the saved sign-in.
    const other = user('other');
    const flagged = await harness.cli(['me', '--token', await stack.token({ userId: other })], userEnv(home, ports));
    expect(flagged.stdout).toMatch(new RegExp(`^user +${other}$`, 'm'));
    expect(flagged.stderr).toBe(`backtest: using the API of your sign-in to ${site.url}\n`);
    expect(cognito.refreshes).toBe(0);

    // logout revokes the refresh token and deletes the file; a second logout is not an error.
    const revocations = cognito.revocations;
    const logout = await harness.cli(['logout'], userEnv(home, ports));
    expect(logout).toMatchObject({ code: 0, stdout: `Signed out: deleted ${file} and revoked its refresh token.\n` });
    expect(existsSync(file)).toBe(false);
    expect(cognito.revocations).toBe(revocations + 1);
    const again = await harness.cli(['logout'], userEnv(home, ports));
    expect(again).toMatchObject({ code: 0, stdout: `Not signed in (no ${file}); nothing to do.\n` });
    const after = await harness.cli(['me'], userEnv(home, ports));
    expect(after.code).toBe(3);
    expect(after.stderr).toMatch(/^backtest: No API to talk to: .*backtest login --web <WebUrl>/);
  });

  it('renews a token within a minute of expiry and saves it; a refused renewal is exit 4 with one sentence', async () => {
    const home = tempDir('login-refresh-');
    const ports = [await closedPort(), await closedPort()];
    nextTtl = 30;
    await signIn(home, ports);
    const file = sessionFile(home);
    const before = JSON.parse(readFileSync(file, 'utf8'));
    const refreshes = cognito.refreshes;

    nextTtl = 3600;
    const me = await harness.cli(['me'], userEnv(home, ports));
    expect(me.code).toBe(0);
    expect(me.stderr).toContain('(token renewed)');
    expect(cognito.refreshes).toBe(refreshes + 1);
    const renewed = JSON.parse(readFileSync(file, 'utf8'));
    expect(renewed.idToken).not.toBe(before.idToken);
    expect(renewed.refreshToken).toBe(before.refreshToken);
    expect(Date.parse(renewed.expiresAt)).toBeGreaterThan(Date.now() + 50 * 60_000);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // Renewed once: the next command uses the saved token as it is.
    expect((await harness.cli(['me'], userEnv(home, ports))).code).toBe(0);
    expect(cognito.refreshes).toBe(refreshes + 1);

    // A sign-in whose refresh token Cognito no longer honours.
    nextTtl = 30;
    await signIn(home, ports);
    const stale = readFileSync(file, 'utf8');
    cognito.expireRefreshTokens();
    const refused = await harness.cli(['me'], userEnv(home, ports));
    expect(refused).toMatchObject({ code: 4, stdout: '', stderr: 'backtest: Your sign-in expired; run backtest login again.\n' });
    expect(cognito.lastRefusal).toBe('refresh_token');
    expect(readFileSync(file, 'utf8')).toBe(stale);
    nextTtl = 3600;
  });

  it('a callback with the wrong state, or Cognito refusing, is one sentence and saves nothing', async () => {
    const home = tempDir('login-refused-');
    const ports = [await closedPort(), await closedPort()];
    const exchanges = cognito.exchanges;

    const forged = await startLogin(userEnv(home, ports));
    const redirect = forged.url.searchParams.get('redirect_uri')!;
    const answer = await fetch(`${redirect}?code=stolen&state=forged`);
    expect(answer.status).toBe(400);
    expect(await answer.text()).toContain('does not belong to the sign-in the terminal started');
    expect(await forged.running.done).toMatchObject({
      code: 4,
      stdout: '',
      stderr: expect.stringMatching(/\nbacktest: The sign-in answer did not match the request this login made \(wrong state\); nothing was saved: run backtest login again\.\n$/),
    });

    const denied = await startLogin(userEnv(home, ports));
    const state = denied.url.searchParams.get('state')!;
    const cancelled = await fetch(`${denied.url.searchParams.get('redirect_uri')}?error=access_denied&error_description=${encodeURIComponent('User cancelled the sign-in')}&state=${state}`);
    expect(cancelled.status).toBe(400);
    expect(await denied.running.done).toMatchObject({ code: 4, stderr: expect.stringMatching(/\nbacktest: Sign-in was refused \(User cancelled the sign-in\); nothing was saved\.\n$/) });

    expect(cognito.exchanges).toBe(exchanges);
    expect(existsSync(sessionFile(home))).toBe(false);
    await expectFree(ports[0]);
  });

  it('falls back to the second port when the first is taken, and says so; both taken is one sentence', async () => {
    const home = tempDir('login-ports-');
    const ports = [await closedPort(), await closedPort()];
    const first = await occupy(ports[0]);
    try {
      const { running, url } = await startLogin(userEnv(home, ports));
      expect(running.stderr()).toContain(`backtest: port ${ports[0]} is in use; listening on ${ports[1]} instead\n`);
      expect(url.searchParams.get('redirect_uri')).toBe(`http://localhost:${ports[1]}/callback`);
      await followInBrowser(url);
      expect((await running.done).code).toBe(0);
      expect(existsSync(sessionFile(home))).toBe(true);

      const second = await occupy(ports[1]);
      try {
        const busy = await harness.cli(['login', '--no-browser', '--web', site.url], userEnv(tempDir('login-busy-'), ports));
        expect(busy.code).toBe(1);
        expect(busy.stderr).toBe(`backtest: Ports ${ports[0]} and ${ports[1]} on localhost are all in use (another backtest login, or another program): close it and run backtest login again; the app client only accepts callbacks on these ports.\n`);
      } finally {
        await release(second);
      }
    } finally {
      await release(first);
    }
  });

  it('by default listens on the registered port, and Ctrl-C stops it and frees the port', async () => {
    // The only test on the fixed ports (the others pass BACKTEST_LOGIN_PORTS); the app client lists exactly these.
    const home = tempDir('login-default-');
    const running = harness.start(['login', '--no-browser', '--web', site.url], { XDG_CONFIG_HOME: home });
    await until(() => /redirect_uri=/.test(running.stderr()) || running.child.exitCode !== null, 60_000, 'the authorize address');
    const redirect = new URL(/(http:\/\/\S+\/oauth2\/authorize\?\S+)/.exec(running.stderr())![1]).searchParams.get('redirect_uri');
    expect(CLI_LOGIN_PORTS.map((p) => `http://localhost:${p}/callback`)).toContain(redirect);
    running.child.kill('SIGINT');
    expect(await running.done).toMatchObject({ code: 130, stderr: expect.stringMatching(/\nbacktest: Sign-in interrupted; nothing was saved\.\n$/) });
    await expectFree(Number(new URL(redirect!).port));
  });

  it('a local stack (token-link config) needs no login: one sentence, exit 2', async () => {
    const local = await serveWebConfig({ apiUrl: stack.httpUrl, wsUrl: stack.wsUrl, auth: { type: 'token-link' } });
    try {
      const run = await harness.cli(['login', '--web', `${local.url}/`], { XDG_CONFIG_HOME: tempDir('login-local-') });
      expect(run).toMatchObject({
        code: 2,
        stderr: `backtest: ${local.url} is a local stack that signs its own tokens: no login is needed, the CLI finds a running \`npm start\` by itself.\n`,
      });
    } finally {
      await local.close();
    }
  });
});

describe('resolveTarget with a saved sign-in', () => {
  const jwt = (claims: object): string => `h.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.s`;
  const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;
  const LOCAL = { pid: process.pid, httpUrl: 'http://127.0.0.1:3000', wsUrl: 'ws://127.0.0.1:3001' } as StackFile;
  async function saved(claims: object = { sub: 'u1', tier: 'pro', exp: inAnHour() }): Promise<{ path: string; login: SavedLogin }> {
    const login: SavedLogin = {
      webUrl: 'https://web.example', apiUrl: 'https://web.example/api', wsUrl: 'wss://ws.example/prod', domain: 'https://auth.example', clientId: 'c1',
      idToken: jwt(claims), refreshToken: 'r1', expiresAt: new Date(((claims as { exp: number }).exp) * 1000).toISOString(),
    };
    const path = join(tempDir('login-target-'), 'backtest', 'session.json');
    await writeLogin(path, login);
    return { path, login };
  }
  const noFetch = (() => Promise.reject(new Error('no refresh expected'))) as typeof fetch;

  it('comes after flags and the environment, before the local stack', async () => {
    const { path, login } = await saved();
    const used = await resolveTarget({}, { env: {}, loginFile: path, readStack: () => LOCAL, fetch: noFetch });
    expect(used).toMatchObject({ apiUrl: login.apiUrl, wsUrl: login.wsUrl, token: login.idToken, tokenSource: 'login' });

    const fromEnv = await resolveTarget({}, { env: { BACKTEST_API_URL: 'https://other.example', BACKTEST_TOKEN: 'env-token' }, loginFile: path, readStack: () => LOCAL });
    expect(fromEnv).toMatchObject({ apiUrl: 'https://other.example', token: 'env-token', tokenSource: 'env' });

    // Another API named without a token: the saved token is not sent there.
    const elsewhere = resolveTarget({ api: 'https://abc.execute-api.eu-west-1.amazonaws.com' }, { env: {}, loginFile: path, readStack: () => LOCAL });
    await expect(elsewhere).rejects.toMatchObject({ exitCode: EXIT.auth, message: expect.stringMatching(/^No token for https:\/\/abc/) });
    // The same API spelled with a trailing slash is the saved one.
    expect(await resolveTarget({ api: `${login.apiUrl}/` }, { env: {}, loginFile: path, readStack: () => LOCAL })).toMatchObject({ token: login.idToken, tokenSource: 'login' });
  });

  it('renews through the token endpoint when less than a minute is left; no answer from Cognito is exit 3', async () => {
    const { path, login } = await saved({ sub: 'u1', exp: Math.floor(Date.now() / 1000) + 59 });
    const fresh = jwt({ sub: 'u1', exp: inAnHour() });
    const forms: string[] = [];
    const fetchFn = (async (url: string, init?: RequestInit) => {
      forms.push(`${url} ${String(init?.body)}`);
      return new Response(JSON.stringify({ id_token: fresh }), { status: 200, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
    const target = await resolveTarget({}, { env: {}, loginFile: path, fetch: fetchFn });
    expect(target.token).toBe(fresh);
    expect(forms).toEqual([`https://auth.example/oauth2/token grant_type=refresh_token&client_id=c1&refresh_token=r1`]);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ idToken: fresh, refreshToken: login.refreshToken });

    const old = await saved({ sub: 'u1', exp: Math.floor(Date.now() / 1000) - 10 });
    const down = (() => Promise.reject(new TypeError('fetch failed'))) as typeof fetch;
    await expect(resolveTarget({}, { env: {}, loginFile: old.path, fetch: down })).rejects.toMatchObject({ exitCode: EXIT.unreachable, message: expect.stringMatching(/^Your sign-in expired and https:\/\/auth\.example did not answer/) });
  });

  it('a long command renews the token a minute before it expires, and its API calls carry the new one', async () => {
    const { path, login } = await saved({ sub: 'u1', exp: Math.floor(Date.now() / 1000) + 61 });
    const seen: string[] = [];
    const api = createHttpServer((req, res) => {
      seen.push(req.headers.authorization ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    try {
      const apiUrl = `http://127.0.0.1:${(api.address() as { port: number }).port}`;
      await writeLogin(path, { ...login, apiUrl });
      const fresh = jwt({ sub: 'u1', exp: inAnHour() });
      let refreshes = 0;
      const fetchFn = (async () => {
        refreshes += 1;
        return new Response(JSON.stringify({ id_token: fresh }), { status: 200 });
      }) as unknown as typeof fetch;
      const out = createOutput({ json: true, stdout: new PassThrough(), stderr: new PassThrough() });
      const session = await openSession({}, out, { env: {}, loginFile: path, fetch: fetchFn });
      await session.api.me();
      expect(seen).toEqual([`Bearer ${login.idToken}`]);
      expect(refreshes).toBe(0);

      await until(() => refreshes === 1, 20_000, 'the renewal a minute before expiry');
      await until(() => JSON.parse(readFileSync(path, 'utf8')).idToken === fresh, 5_000, 'the renewed token saved');
      // The saved file can be read a moment before the renewal's callback hands the token to the client (the rename
      // is visible on disk before its completion runs on this thread): wait for the call that carries it.
      await until(async () => {
        await session.api.me();
        return seen.at(-1) === `Bearer ${fresh}`;
      }, 5_000, 'an API call with the renewed token');
      expect(refreshes).toBe(1);
    } finally {
      await new Promise((resolve) => api.close(resolve));
    }
  });

  it('a damaged session file says to sign in again', async () => {
    const { path } = await saved();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path, '{"webUrl": 1}');
    await expect(resolveTarget({}, { env: {}, loginFile: path })).rejects.toMatchObject({ exitCode: EXIT.auth, message: expect.stringMatching(/is damaged \(webUrl\): run backtest logout, then backtest login\.$/) });
  });
});
