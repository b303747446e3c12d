import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { CliError, EXIT } from './errors.ts';

/**
 * The sign-in `backtest login` saves and every API command uses: where the deployed stack is and the Cognito tokens
 * for it. The refresh token lasts 30 days and is a credential, so the file is readable by its owner only (0600 in a
 * 0700 folder), as ~/.aws/sso/cache and gh's hosts.yml are.
 */
export interface SavedLogin {
  /** The web app's URL the login started from (its config.json named the rest). */
  webUrl: string;
  apiUrl: string;
  wsUrl: string;
  /** Cognito managed login domain and app client, for refreshing. */
  domain: string;
  clientId: string;
  idToken: string;
  refreshToken: string;
  /** When the ID token expires (ISO 8601, from its `exp`). */
  expiresAt: string;
}

const savedLogin = z.object({
  webUrl: z.string().min(1),
  apiUrl: z.url(),
  wsUrl: z.string().min(1),
  domain: z.url(),
  clientId: z.string().min(1),
  idToken: z.string().min(1),
  refreshToken: z.string().min(1),
  expiresAt: z.iso.datetime(),
});

/** $XDG_CONFIG_HOME/backtest/session.json, else ~/.config/backtest/session.json. */
export function loginFilePath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.trim() !== '' ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(base, 'backtest', 'session.json');
}

/** The saved login, or undefined when there is none. A damaged file is an error that says to sign in again. */
export async function readLogin(path: string): Promise<SavedLogin | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`Cannot read the saved sign-in ${path} (${(error as Error).message}): run backtest logout, then backtest login.`, EXIT.auth, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(`The saved sign-in ${path} is not JSON: run backtest logout, then backtest login.`, EXIT.auth, { cause: error });
  }
  const result = savedLogin.safeParse(parsed);
  if (!result.success) {
    const field = result.error.issues[0]?.path.join('.') || '(file)';
    throw new CliError(`The saved sign-in ${path} is damaged (${field}): run backtest logout, then backtest login.`, EXIT.auth);
  }
  return result.data;
}

/**
 * Writes the login atomically (a temp file renamed over the old one: a second CLI reading at the same moment sees the
 * old or the new file, never half of one), created 0600 so the token is never readable by others, not even briefly.
 */
export async function writeLogin(path: string, login: SavedLogin): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode applies only to a folder it creates (and under the umask): make an existing one private too.
  await chmod(dir, 0o700);
  const temp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temp, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 });
    await chmod(temp, 0o600);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Deletes the saved login; true when there was one. */
export async function deleteLogin(path: string): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
