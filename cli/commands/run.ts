import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { runEngineCli } from '../../engine/cli.ts';
import { defaultDataDir } from '../../local/data-dir.ts';
import { UsageError } from '../errors.ts';

/** The value of `--flag value` or `--flag=value` in argv, and where it sits. */
function findFlag(argv: string[], flag: string): { index: number; value: string | undefined; inline: boolean } | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === flag) return { index: i, value: argv[i + 1], inline: false };
    if (argv[i].startsWith(`${flag}=`)) return { index: i, value: argv[i].slice(flag.length + 1), inline: true };
  }
  return undefined;
}

/**
 * `backtest run …`: the engine on this machine, no service involved, with the engine CLI's flags and output (the
 * same code as `npm run backtest`). One addition: `--symbol ORCL` (not SYNTH-*) reads `<SYMBOL>-<timeframe>.csv` from
 * the folder the local stack reads (DATA_DIR, else data/, else the examples shipped in examples/data/), so one
 * command line runs locally and, with `submit`, on the service.
 */
export async function runCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    const code = await runEngineCli(['--help']);
    process.stdout.write(`  --symbol <SYMBOL>      not SYNTH-*: reads <SYMBOL>-<timeframe>.csv from ${relative(process.cwd(), defaultDataDir()) || '.'} (DATA_DIR)\n`);
    return code;
  }
  const symbol = findFlag(argv, '--symbol');
  if (symbol?.value !== undefined && !symbol.value.toUpperCase().startsWith('SYNTH-') && findFlag(argv, '--csv') === undefined) {
    const timeframe = findFlag(argv, '--timeframe')?.value ?? '1d';
    const dir = defaultDataDir();
    const file = join(dir, `${symbol.value}-${timeframe}.csv`);
    if (!existsSync(file)) {
      throw new UsageError(`No market data for ${symbol.value} ${timeframe}: ${relative(process.cwd(), file) || file} does not exist (use SYNTH-<name> for synthetic data, or --csv <file>).`);
    }
    const rewritten = [...argv];
    rewritten.splice(symbol.index, symbol.inline ? 1 : 2, '--csv', file);
    return runEngineCli(rewritten);
  }
  return runEngineCli(argv);
}
