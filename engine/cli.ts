/**
 * Command-line backtests: `npm run -s backtest -- --csv <file> --strategy <id> [--param k=v ...] [--json]`, or
 * `--symbol SYNTH-X --timeframe 1h --start 2024-01-01 --end 2024-06-30` for synthetic data. A parameter given as a
 * list (`fast=5,10,20`) or a range (`fast=5:50:5`) makes a sweep. Bad input exits with code 2 and a message on stderr.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { sliceByTime } from './bars.ts';
import { parseCsv } from './csv.ts';
import { EngineInputError } from './errors.ts';
import { runBacktest } from './run.ts';
import { listStrategies } from './strategies/registry.ts';
import { syntheticSeries } from './synthetic.ts';
import { DAY_MS, parseTimestamp } from './time.ts';
import { TIMEFRAMES, type BacktestResult, type BacktestSpec, type BarSeries, type ParamValue, type Sizing, type Timeframe } from './types.ts';

const USAGE = `usage: npx backtest run (--csv <file> | --symbol SYNTH-<name> --timeframe <tf> --start <date> --end <date>)
       --strategy <id> [--param k=v ...] [--cash N] [--commission R] [--sizing all-in|units:<n>|fraction:<f>]
       [--slippage-bps n] [--fractional] [--metric <stat>] [--top N] [--json]
  --param fast=10        a value;  fast=5,10,20 a list;  fast=5:50:5 a range (from:to:step)  (lists/ranges = sweep)
  --start/--end          also slice a CSV; a date alone covers that whole UTC day
  --list                 print the strategies and their parameters
timeframes: ${TIMEFRAMES.join(', ')}
(npm run -s backtest -- <the same flags> runs the same code)`;

class UsageError extends Error {}

export function parseParam(text: string): [string, ParamValue] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--param ${JSON.stringify(text)}: expected name=value`);
  const name = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1).trim();
  const num = (s: string): number => {
    const v = Number(s);
    if (s.trim() === '' || !Number.isFinite(v)) throw new UsageError(`--param ${name}: ${JSON.stringify(s)} is not a number`);
    return v;
  };
  if (raw === 'true' || raw === 'false') return [name, raw === 'true'];
  if (raw.includes(',')) return [name, raw.split(',').map(num)];
  if (raw.includes(':')) {
    const parts = raw.split(':');
    if (parts.length !== 3) throw new UsageError(`--param ${name}: a range is from:to:step`);
    const [from, to, step] = parts.map(num);
    return [name, { from, to, step }];
  }
  return [name, num(raw)];
}

export function parseSizing(text: string): Sizing {
  if (text === 'all-in') return 'all-in';
  const [kind, value] = text.split(':');
  const v = Number(value);
  if (kind === 'units' && value !== undefined) return { units: v };
  if (kind === 'fraction' && value !== undefined) return { fraction: v };
  throw new UsageError(`--sizing ${JSON.stringify(text)}: expected all-in, units:<n> or fraction:<f>`);
}

function parseNumber(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) throw new UsageError(`--${flag} ${JSON.stringify(text)} is not a number`);
  return v;
}

function parseDate(flag: string, text: string | undefined, endOfDay: boolean): number | undefined {
  if (text === undefined) return undefined;
  const t = parseTimestamp(text);
  if (Number.isNaN(t)) throw new UsageError(`--${flag} ${JSON.stringify(text)} is not a date (YYYY-MM-DD[THH:MM[:SS]])`);
  return endOfDay && /^\d{4}-\d{2}-\d{2}$/.test(text.trim()) ? t + DAY_MS - 1 : t;
}

function fmt(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Number.isFinite(v) ? v.toFixed(4) : String(v);
  return String(v);
}

function printTable(result: BacktestResult): void {
  const out: string[] = [];
  out.push(`params: ${JSON.stringify(result.params)}`, '');
  const width = Math.max(...Object.keys(result.stats).map((k) => k.length));
  for (const [k, v] of Object.entries(result.stats)) out.push(`${k.padEnd(width)}  ${fmt(v)}`);
  out.push('', `trades: ${result.trades.length}${result.trades.length > 20 ? ' (first 20)' : ''}`);
  out.push('side   size          entry time                 entry       exit time                  exit        pnl          return%');
  for (const t of result.trades.slice(0, 20)) {
    out.push(
      [t.side.padEnd(5), fmt(t.size).padStart(12), t.entryTime.padEnd(26), fmt(t.entryPrice).padStart(10), t.exitTime.padEnd(26),
        fmt(t.exitPrice).padStart(10), fmt(t.pnl).padStart(12), fmt(t.returnPct).padStart(9)].join(' '),
    );
  }
  if (result.sweep !== undefined) {
    const { metric, combinations, top } = result.sweep;
    out.push('', `sweep: ${combinations} combinations, top ${top.length} by ${metric}`);
    for (const [i, row] of top.entries()) {
      out.push(`${String(i + 1).padStart(3)}. ${metric}=${fmt(row.stats[metric as keyof typeof row.stats])}  return%=${fmt(row.stats.returnPct)}  trades=${row.stats.trades}  ${JSON.stringify(row.params)}`);
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      csv: { type: 'string' },
      symbol: { type: 'string' },
      timeframe: { type: 'string' },
      start: { type: 'string' },
      end: { type: 'string' },
      strategy: { type: 'string' },
      param: { type: 'string', multiple: true },
      sweep: { type: 'string', multiple: true },
      cash: { type: 'string' },
      commission: { type: 'string' },
      sizing: { type: 'string' },
      'slippage-bps': { type: 'string' },
      fractional: { type: 'boolean' },
      metric: { type: 'string' },
      top: { type: 'string' },
      json: { type: 'boolean' },
      list: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.list) {
    process.stdout.write(`${JSON.stringify(listStrategies(), null, 2)}\n`);
    return 0;
  }
  if (values.strategy === undefined) throw new UsageError('--strategy is required');
  const timeframe = (values.timeframe ?? '1d') as Timeframe;
  if (!TIMEFRAMES.includes(timeframe)) throw new UsageError(`--timeframe must be one of ${TIMEFRAMES.join(', ')}`);
  const start = parseDate('start', values.start, false);
  const end = parseDate('end', values.end, true);

  let bars: BarSeries;
  if (values.csv !== undefined) {
    if (values.symbol !== undefined) throw new UsageError('give --csv or --symbol, not both');
    let text: string;
    try {
      text = readFileSync(values.csv, 'utf8');
    } catch (e) {
      throw new UsageError(`--csv: cannot read ${values.csv}: ${(e as Error).message}`);
    }
    bars = sliceByTime(parseCsv(text, { source: values.csv }), start, end);
  } else if (values.symbol !== undefined) {
    if (start === undefined || end === undefined) throw new UsageError('--symbol needs --start and --end');
    bars = syntheticSeries(values.symbol, timeframe, start, end);
  } else {
    throw new UsageError('give --csv <file> or --symbol SYNTH-<name>');
  }

  const params: Record<string, ParamValue> = {};
  for (const p of [...(values.param ?? []), ...(values.sweep ?? [])]) {
    const [k, v] = parseParam(p);
    params[k] = v;
  }
  const spec: BacktestSpec = {
    strategyId: values.strategy,
    params,
    initialCash: parseNumber('cash', values.cash, 10_000),
    commission: parseNumber('commission', values.commission, 0),
    slippageBps: parseNumber('slippage-bps', values['slippage-bps'], 0),
    sizing: values.sizing === undefined ? 'all-in' : parseSizing(values.sizing),
    fractional: values.fractional ?? false,
    timeframe,
  };
  if (values.metric !== undefined || values.top !== undefined) {
    spec.sweep = { metric: values.metric ?? 'sharpe', top: parseNumber('top', values.top, 10) };
  }
  const result = await runBacktest(bars, spec);
  if (values.json) {
    // params: the parameters the stats and trades belong to (for a sweep, the best combination's).
    const out: Record<string, unknown> = { params: result.params, stats: result.stats, trades: result.trades };
    if (result.sweep !== undefined) out.sweep = result.sweep;
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } else {
    printTable(result);
  }
  return 0;
}

/**
 * Runs the command line on `argv` and resolves to its exit code. Exported so `backtest run` (cli/) is this same code:
 * one set of flags and one output format for local backtests.
 */
export async function runEngineCli(argv: string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (e) {
    if (e instanceof EngineInputError) {
      process.stderr.write(`error: ${e.issues.map((i) => `${i.path}: ${i.message}`).join('\n       ')}\n`);
      return 2;
    } else if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`error: ${(e as Error).message}\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`error: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}

if (import.meta.main) process.exitCode = await runEngineCli(process.argv.slice(2));
