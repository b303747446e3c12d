import { readFileSync } from 'node:fs';
import type { SubmitBody, Timeframe } from '../client/types.ts';
import { parseParam, parseSizing } from '../engine/cli.ts';
import { UsageError } from './errors.ts';

/** The job flags, named as the engine CLI (`backtest run`) names them, so one command line works for both. */
export interface JobFlags {
  file?: string;
  strategy?: string;
  param?: string[];
  symbol?: string;
  timeframe?: string;
  start?: string;
  end?: string;
  cash?: string;
  commission?: string;
  slippageBps?: string;
  sizing?: string;
  fractional?: boolean;
  metric?: string;
  top?: string;
}

function number(flag: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--${flag} ${JSON.stringify(text)} is not a number.`);
  return value;
}

/** Runs one of the engine CLI's parsers, turning its message into the CLI's usage error. */
function engineParse<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError(`${(error as Error).message.replace(/\.$/, '')}.`);
  }
}

function readJobFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read the job file ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (error as Error).message}.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`The job file ${path} is not valid JSON (${(error as Error).message}).`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError(`The job file ${path} must hold one JSON object (the POST /backtests body).`);
  return parsed as Record<string, unknown>;
}

/**
 * The POST /backtests body: the job file if given, with any flags on top (so `--file base.json --symbol NVDA` reruns a
 * job on another symbol). Only flags that were given are set: the API fills in its own defaults and validates every
 * field, naming each bad one, so the CLI does not keep a second copy of those rules.
 */
export function submitBody(flags: JobFlags): SubmitBody {
  const body: Record<string, unknown> = flags.file !== undefined ? readJobFile(flags.file) : {};
  if (flags.strategy !== undefined) body.strategyId = flags.strategy;
  if (flags.param !== undefined && flags.param.length > 0) {
    const params: Record<string, unknown> = { ...((body.params as Record<string, unknown> | undefined) ?? {}) };
    for (const text of flags.param) {
      const [name, value] = engineParse(() => parseParam(text));
      params[name] = value;
    }
    body.params = params;
  }
  if (flags.symbol !== undefined) body.symbol = flags.symbol;
  if (flags.timeframe !== undefined) body.timeframe = flags.timeframe as Timeframe;
  if (flags.start !== undefined) body.startDate = flags.start;
  if (flags.end !== undefined) body.endDate = flags.end;
  if (flags.cash !== undefined) body.initialCash = number('cash', flags.cash);
  if (flags.commission !== undefined) body.commission = number('commission', flags.commission);
  if (flags.slippageBps !== undefined) body.slippageBps = number('slippage-bps', flags.slippageBps);
  if (flags.sizing !== undefined) body.sizing = engineParse(() => parseSizing(flags.sizing!));
  if (flags.fractional) body.fractional = true;
  if (flags.metric !== undefined || flags.top !== undefined) {
    body.sweep = {
      ...((body.sweep as Record<string, unknown> | undefined) ?? {}),
      ...(flags.metric !== undefined ? { metric: flags.metric } : {}),
      ...(flags.top !== undefined ? { top: number('top', flags.top) } : {}),
    };
  }
  if (body.strategyId === undefined) throw new UsageError('Say which strategy to run: --strategy <id> (`backtest strategies` lists them) or --file job.json.');
  if (body.symbol === undefined) throw new UsageError('Say which market data to run on: --symbol <SYMBOL> (`backtest symbols` lists them; SYNTH-<name> is synthetic).');
  return body as unknown as SubmitBody;
}
