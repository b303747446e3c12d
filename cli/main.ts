import { CommanderError } from 'commander';
import { EXIT, explain } from './errors.ts';
import { buildProgram } from './program.ts';

/**
 * The `backtest` CLI (bin: cli/backtest.js, which checks the Node version first). Every failure ends here as one
 * sentence on stderr and a non-zero exit code; the stack only with --debug.
 */
async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander already printed its message (or the help); help and version are not failures.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const explained = explain(error);
    process.stderr.write(`backtest: ${explained.message}\n`);
    if (argv.includes('--debug')) {
      let cause: unknown = explained.cause ?? (explained === error ? undefined : error);
      while (cause instanceof Error) {
        process.stderr.write(`${cause.stack ?? cause.message}\n`);
        cause = cause.cause;
      }
    }
    return explained.exitCode;
  }
}

// `backtest list | head` closes the pipe early: that is the reader's choice, not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

process.exitCode = await main(process.argv.slice(2));
