import { Command, Option } from 'commander';
import type { adminQueuesCommand } from './commands/admin.ts';
import type { symbolsCommand } from './commands/catalog.ts';
import type { listCommand, submitCommand } from './commands/jobs.ts';
import type { copyCommand, leaderboardCommand, publishCommand } from './commands/leaderboard.ts';
import { createOutput, type Output } from './output.ts';
import type { ConnectionOptions } from './target.ts';

// Commands load when chosen: the engine alone takes a few hundred ms to import, and only run and submit need it.
const admin = () => import('./commands/admin.ts');
const auth = () => import('./commands/auth.ts');
const catalog = () => import('./commands/catalog.ts');
const jobs = () => import('./commands/jobs.ts');
const leaderboard = () => import('./commands/leaderboard.ts');

/** What every command's options carry besides its own. */
type Common = ConnectionOptions & { json?: boolean; debug?: boolean };

const HELP_AFTER = `
Where it connects (first that applies): --api/--ws/--token, BACKTEST_API_URL/BACKTEST_WS_URL/BACKTEST_TOKEN, else the
sign-in \`backtest login\` saved, else a running \`npm start\` (found through .local/stack.json). Against the local
stack the CLI signs its own token with the stack's key: --user (or BACKTEST_USER, default your login name), --tier
(default: the tier an admin set, else free); admin commands add the admin claim. On AWS run
\`backtest login --web <WebUrl>\` once: it signs you in with Cognito in the browser and renews the 1-hour ID token by
itself (for 30 days); \`backtest whoami\` shows where the CLI points and as whom, \`backtest logout\` forgets it.

Exit codes: 0 ok, 1 job failed/cancelled or refused, 2 bad input, 3 API unreachable, 4 token refused/expired,
5 not found, 130 interrupted. Human output goes to stdout, diagnostics to stderr; --json prints one JSON document.

Examples:
  npx backtest login --web https://d111111abcdef8.cloudfront.net/
  npx backtest submit --strategy sma-cross --param fast=5:20:5 --param slow=30:60:10 --symbol ORCL --start 2005-01-01 --end 2012-12-31 --watch
  npx backtest list
  npx backtest run --symbol ORCL --strategy sma-cross --param fast=10 --param slow=30`;

function withConnection(command: Command): Command {
  return command
    .option('--api <url>', 'HTTP API URL (env BACKTEST_API_URL)')
    .option('--ws <url>', 'WebSocket URL (env BACKTEST_WS_URL)')
    .option('--token <jwt>', 'bearer token (env BACKTEST_TOKEN)')
    .option('--user <id>', 'local stack only: the user to sign a token for (env BACKTEST_USER)')
    .addOption(new Option('--tier <tier>', 'local stack only: the tier of that token').choices(['free', 'basic', 'pro']))
    .option('--json', 'print JSON for scripts')
    .option('--debug', 'print stack traces on errors');
}

function withJobFlags(command: Command): Command {
  return command
    .option('--file <job.json>', 'the POST /backtests body as JSON; flags given too override its fields')
    .option('--strategy <id>', 'strategy id (backtest strategies)')
    .option('--param <name=value>', 'a value (fast=10), list (fast=5,10,20) or range (fast=5:50:5); lists and ranges sweep', (v: string, all: string[] = []) => [...all, v])
    .option('--symbol <symbol>', 'market data symbol (backtest symbols), or SYNTH-<name>')
    .option('--timeframe <tf>', '1m, 5m, 15m, 1h or 1d (default 1d)')
    .option('--start <date>', 'first day, YYYY-MM-DD')
    .option('--end <date>', 'last day, YYYY-MM-DD')
    .option('--cash <n>', 'initial cash (default 10000)')
    .option('--commission <r>', 'fraction of traded value, e.g. 0.001')
    .option('--slippage-bps <n>', 'slippage in basis points')
    .option('--sizing <s>', 'all-in, units:<n> or fraction:<f>')
    .option('--fractional', 'allow fractional units')
    .option('--metric <stat>', 'sweep: rank combinations by this stat (default sharpe)')
    .option('--top <n>', 'sweep: keep the best n combinations');
}

/**
 * The `backtest` command line. Each action resolves to an exit code; `main.ts` turns thrown errors into one sentence.
 * `out` is made per command because `--json` is per command (options sit after the command name).
 */
export function buildProgram(setExit: (code: number) => void, makeOutput: (json: boolean) => Output = (json) => createOutput({ json })): Command {
  const program = new Command('backtest')
    .description('Submit and watch backtests on the backtest service, inspect queues, or run the engine locally.')
    .enablePositionalOptions()
    // Before any .command(): subcommands copy it when created. main.ts maps commander's errors to exit code 2.
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', HELP_AFTER);

  // commander calls an action with the declared arguments, then the options object, then the command.
  const act =
    <O extends Common>(fn: (args: string[], options: O, out: Output) => Promise<number>) =>
    async (...received: unknown[]): Promise<void> => {
      const options = received[received.length - 2] as O;
      const out = makeOutput(options.json === true);
      setExit(await fn(received.slice(0, -2) as string[], options, out));
    };

  program
    .command('run')
    .description('run a backtest on this machine with the engine (no service); the engine CLI\'s flags, `run --help` lists them')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .passThroughOptions()
    .argument('[engine-flags...]')
    .action(async (engineFlags: string[]) => setExit(await (await import('./commands/run.ts')).runCommand(engineFlags)));

  withConnection(withJobFlags(program.command('submit').description('submit a backtest (engine-style flags or --file); --watch follows it to the end')))
    .option('--watch', 'show live progress, then the stats and best parameters; exit 1 if the job fails')
    .option('--idempotency-key <key>', 'resubmitting with the same key and body returns the same job')
    .action(act<Parameters<typeof submitCommand>[0]>(async (_, options, out) => (await jobs()).submitCommand(options, out)));

  withConnection(program.command('watch').description('follow a job live (WebSocket, polling if it drops) to its end').argument('<jobId>'))
    .action(act(async ([jobId], options, out) => (await jobs()).watchCommand(jobId, options, out)));

  withConnection(program.command('status').description('a job: status, progress, request, result summary or error').argument('<jobId>'))
    .action(act(async ([jobId], options, out) => (await jobs()).statusCommand(jobId, options, out)));

  withConnection(
    program
      .command('list')
      .description('your jobs, newest first')
      .addOption(new Option('--status <status>', 'only jobs in this status').choices(['queued', 'running', 'succeeded', 'failed', 'cancelled']))
      .option('--limit <n>', 'jobs per page (default 20, at most 100)')
      .option('--cursor <cursor>', 'the page after the one that printed this cursor'),
  ).action(act<Parameters<typeof listCommand>[0]>(async (_, options, out) => (await jobs()).listCommand(options, out)));

  withConnection(program.command('cancel').description('cancel a queued or running job').argument('<jobId>'))
    .action(act(async ([jobId], options, out) => (await jobs()).cancelCommand(jobId, options, out)));

  program
    .command('login')
    .description('sign in to a deployed stack with Cognito in your browser (PKCE); later commands use and renew the token')
    .option('--web <url>', "the stack's WebUrl output (env BACKTEST_WEB_URL; default: the last one you signed in to)")
    .option('--no-browser', 'do not open a browser, only print the address (open it on this machine: it redirects to localhost)')
    .option('--json', 'print JSON for scripts')
    .option('--debug', 'print stack traces on errors')
    .action(act<{ web?: string; browser?: boolean; json?: boolean }>(async (_, options, out) => (await auth()).loginCommand(options, out)));

  program
    .command('logout')
    .description('forget the saved sign-in (and revoke its refresh token at Cognito)')
    .option('--json', 'print JSON for scripts')
    .option('--debug', 'print stack traces on errors')
    .action(act<{ json?: boolean }>(async (_, options, out) => (await auth()).logoutCommand(options, out)));

  withConnection(program.command('whoami').description('where the CLI points, where its token comes from, whose it is and when it expires'))
    .action(act(async (_, options, out) => (await auth()).whoamiCommand(options, out)));

  withConnection(program.command('me').description('your tier, credits, today\'s submissions and limits'))
    .action(act(async (_, options, out) => (await catalog()).meCommand(options, out)));

  withConnection(program.command('strategies').description('strategies and their parameters (defaults, bounds)'))
    .action(act(async (_, options, out) => (await catalog()).strategiesCommand(options, out)));

  withConnection(
    program
      .command('symbols')
      .description('market data the service can run on')
      .option('--limit <n>', 'one page of this many (default: all)')
      .option('--cursor <cursor>', 'the page after the one that printed this cursor'),
  ).action(act<Parameters<typeof symbolsCommand>[0]>(async (_, options, out) => (await catalog()).symbolsCommand(options, out)));

  const boardGroup = withConnection(
    program
      .command('leaderboard')
      .description('the strategy leaderboard: the boards, or one board ranked out of sample (docs/leaderboard.md)')
      .argument('[board]', 'a board id; without it, every board and its windows')
      .option('--metric <metric>', 'rank by this out-of-sample metric: sharpe (default), return, maxDrawdown, sortino, calmar')
      .option('--limit <n>', 'entries per page (default 20, at most 100)')
      .option('--cursor <cursor>', 'the page after the one that printed this cursor'),
  ).action(act<Parameters<typeof leaderboardCommand>[1]>(async ([board], options, out) => (await leaderboard()).leaderboardCommand(board, options, out)));
  withConnection(
    boardGroup
      .command('publish')
      .description("publish a succeeded job tuned on a board's in-sample window; its out-of-sample run is queued as your job")
      .argument('<jobId>')
      .option('--board <board>', 'the board (backtest leaderboard lists them)')
      .option('--name <displayName>', 'the name the board shows (3-32 letters, digits, spaces, _ . -)')
      .option('--watch', 'follow the out-of-sample run to its end'),
  ).action(act<Parameters<typeof publishCommand>[1]>(async ([jobId], options, out) => (await leaderboard()).publishCommand(jobId, options, out)));
  withConnection(boardGroup.command('unpublish').description("remove your entry for a job's strategy from a board").argument('<jobId>').option('--board <board>', 'the board'))
    .action(act(async ([jobId], options: Common & { board?: string }, out) => (await leaderboard()).unpublishCommand(jobId, options, out)));

  withConnection(
    program
      .command('copy')
      .description("run a leaderboard entry's strategy and parameters as your own job (charged like any submit)")
      .argument('<board>')
      .argument('<entryId>')
      .option('--symbol <symbol>', "another symbol (default the board's)")
      .option('--start <date>', "first day (default the board's out-of-sample start)")
      .option('--end <date>', "last day (default the board's out-of-sample end)")
      .option('--watch', 'show live progress, then the stats; exit 1 if the job fails')
      .option('--idempotency-key <key>', 'copying again with the same key returns the same job'),
  ).action(act<Parameters<typeof copyCommand>[2]>(async ([board, entryId], options, out) => (await leaderboard()).copyCommand(board, entryId, options, out)));

  const adminGroup = program.command('admin').description('operator commands (the token needs the admin claim)');
  withConnection(
    adminGroup
      .command('queues')
      .description('per tier: waiting, in flight, DLQ depth, oldest queued age, concurrency')
      .option('--watch', 'refresh until Ctrl-C')
      .option('--interval <seconds>', 'refresh period with --watch (default 2)'),
  ).action(act<Parameters<typeof adminQueuesCommand>[0]>(async (_, options, out) => (await admin()).adminQueuesCommand(options, out)));
  withConnection(adminGroup.command('user').description('a user\'s tier, credits and submissions today').argument('<userId>'))
    .action(act(async ([userId], options, out) => (await admin()).adminUserCommand(userId, options, out)));
  withConnection(adminGroup.command('credits').description('grant credits (a negative amount takes them away)').argument('<userId>').argument('<amount>'))
    .action(act(async ([userId, amount], options, out) => (await admin()).adminCreditsCommand(userId, amount, options, out)));
  withConnection(
    adminGroup
      .command('tier')
      .description('change a user\'s tier')
      .argument('<userId>')
      .argument('<tier>', 'free, basic or pro'),
  ).action(act(async ([userId, tier], options, out) => (await admin()).adminTierCommand(userId, tier, options, out)));

  return program;
}
