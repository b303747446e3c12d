import { ApiError, ApiUnreachableError } from '../client/api-client.ts';

/**
 * Exit codes, so scripts can tell "fix your input" from "the service is down" without parsing sentences.
 * 0 is success only: a job that failed or was cancelled is not a success for `submit --watch` / `watch`.
 */
export const EXIT = {
  ok: 0,
  /** The job failed or was cancelled, or the API refused for another reason (402, 409, 429, 5xx). */
  failed: 1,
  /** Bad flags, a bad job file or a field the API refused (400, 413, 422). */
  usage: 2,
  /** No answer from the API or the WebSocket. */
  unreachable: 3,
  /** The token is missing, refused or expired (401), or lacks the admin claim (403). */
  auth: 4,
  /** The job (or user) does not exist, or is not yours (404). */
  notFound: 5,
  /** Ctrl-C. */
  interrupted: 130,
} as const;

/** An error the CLI explains in one sentence; `message` is that sentence. */
export class CliError extends Error {
  override name = 'CliError';
  readonly exitCode: number;
  constructor(message: string, exitCode: number, options?: { cause?: unknown }) {
    super(message, options);
    this.exitCode = exitCode;
  }
}

/** Bad flags or a bad job file: the user fixes the command line. */
export class UsageError extends CliError {
  override name = 'UsageError';
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

export interface ExplainContext {
  /** The token sent, to say when it expired if the API does not. */
  token?: string;
  /** Where the token came from, to say what to do about a refused one. */
  tokenSource?: string;
  /** What was asked for, e.g. `job 01J…`, for a 404. */
  subject?: string;
  /** What the API refused when it names fields, e.g. `the job`. @default 'the request' */
  refused?: string;
}

/** Seconds since the epoch of the token's `exp`, when the token is a readable JWT. */
export function tokenExpiry(token: string | undefined): number | undefined {
  const payload = token?.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' ? claims.exp : undefined;
  } catch {
    return undefined;
  }
}

const endSentence = (text: string): string => (/[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`);

/**
 * One sentence for any failure, with the exit code. Field errors name every field the API named; nothing here ever
 * prints a stack (main.ts does that only with --debug).
 */
export function explain(error: unknown, context: ExplainContext = {}): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof ApiUnreachableError) {
    const origin = safeOrigin(error.url);
    return new CliError(`Cannot reach the backtest API at ${origin}: is \`npm start\` running, or is --api / BACKTEST_API_URL right?`, EXIT.unreachable, { cause: error });
  }
  if (error instanceof ApiError) {
    const { status, problem } = error;
    const detail = problem.detail?.trim() ?? '';
    if (status === 401) {
      const exp = tokenExpiry(context.token);
      // The API (or the shared client, on AWS) says when: keep its time, and say what to do in our words.
      const when = /expired at (\S+?Z)\b/i.exec(detail)?.[1];
      if (when !== undefined) return new CliError(`The token expired at ${when}. ${renewHint(context.tokenSource)}`, EXIT.auth, { cause: error });
      if (/expired/i.test(detail)) return new CliError(`The API refused the token: ${endSentence(detail)} ${renewHint(context.tokenSource)}`, EXIT.auth, { cause: error });
      if (exp !== undefined && exp * 1000 <= Date.now()) {
        return new CliError(`The token expired at ${new Date(exp * 1000).toISOString()}. ${renewHint(context.tokenSource)}`, EXIT.auth, { cause: error });
      }
      return new CliError(`The API refused the token${detail ? ` (${detail.replace(/\.$/, '')})` : ''}. ${renewHint(context.tokenSource)}`, EXIT.auth, { cause: error });
    }
    if (status === 403) return new CliError(`The API refused: ${endSentence(detail || 'this needs the admin claim in the token')}`, EXIT.auth, { cause: error });
    if (status === 404) {
      // Someone else's job is a 404 too, by design: say so rather than repeat the API's "No job X".
      const text = context.subject ? `${capitalize(context.subject)} was not found (or is not yours).` : `Not found${detail ? `: ${endSentence(detail)}` : '.'}`;
      return new CliError(text, EXIT.notFound, { cause: error });
    }
    if (error.fieldErrors.length > 0) {
      const fields = error.fieldErrors.map((f) => `${f.path || '(body)'}: ${f.message.replace(/\.$/, '')}`).join('; ');
      return new CliError(`The API refused ${context.refused ?? 'the request'}: ${fields}.`, EXIT.usage, { cause: error });
    }
    if (status === 400 || status === 413 || status === 422) return new CliError(`The API refused the request: ${endSentence(detail || problem.title)}`, EXIT.usage, { cause: error });
    if (status === 429) {
      // The API names the reset as a UTC time; API Gateway's own throttling only gives Retry-After.
      const when = /UTC|\dZ\b/.test(detail) || error.retryAfterSeconds === undefined ? '' : ` Try again in ${error.retryAfterSeconds} s.`;
      const local = context.tokenSource === 'local' ? ' Locally, --tier basic or --tier pro has a higher limit.' : '';
      return new CliError(`${endSentence(detail || problem.title)}${when}${local}`, EXIT.failed, { cause: error });
    }
    if (status === 402) return new CliError(`${endSentence(detail || problem.title)} An admin can grant more: backtest admin credits <user> <amount>.`, EXIT.failed, { cause: error });
    return new CliError(`The API answered ${status} ${problem.title}${detail ? `: ${endSentence(detail)}` : '.'}`, EXIT.failed, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new CliError(`Unexpected error: ${endSentence(message)} (--debug shows the details)`, EXIT.failed, { cause: error });
}

function renewHint(source: string | undefined): string {
  if (source === 'local') return 'The local stack may have a new signing key: run the command again.';
  if (source === 'login') return 'Run backtest login again.';
  return 'Get a new one (locally: `npm run -s token -- --user <id>`; on AWS: backtest login, or a new ID token, docs/deploy.md) and pass it with --token or BACKTEST_TOKEN.';
}

function safeOrigin(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname.replace(/\/(backtests|me|strategies|symbols|admin|openapi\.json).*$/, '')}`;
  } catch {
    return url;
  }
}

const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
