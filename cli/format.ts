import type { JobListItem, JobView, MeView, QueuesView, ResultSummaryView, StrategyView, SymbolsPage, UserAccountView } from '../client/types.ts';
import { table } from './output.ts';

/** Numbers as a trader reads them: money and percentages with 2 decimals, ratios with 3, whole numbers as they are. */
export function num(value: unknown, key = ''): string {
  if (typeof value !== 'number') return value === undefined || value === null ? '-' : String(value);
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  const decimals = /pct$|^equity|cash$/i.test(key) ? 2 : 3;
  return value.toFixed(decimals);
}

export const percent = (fraction: number): string => `${Math.round(fraction * 100)}%`;

/** One parameter as --param takes it: `10`, a list `5,10,20`, a range `5:50:5`. */
function paramValue(v: unknown): string {
  if (Array.isArray(v)) return v.join(',');
  if (typeof v === 'object' && v !== null && 'from' in v && 'to' in v && 'step' in v) {
    const r = v as { from: unknown; to: unknown; step: unknown };
    return `${r.from}:${r.to}:${r.step}`;
  }
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** `fast=10 slow=30` or `fast=5:50:5`, the way --param takes them back. */
export function paramsText(params: Record<string, unknown>): string {
  const entries = Object.entries(params);
  return entries.length === 0 ? '(none)' : entries.map(([k, v]) => `${k}=${paramValue(v)}`).join(' ');
}

/** The stats as a two-column table, in the engine's order. */
export function statsTable(stats: Record<string, unknown>): string {
  return table(['stat', 'value'], Object.entries(stats).map(([k, v]) => [k, num(v, k)]), ['l', 'r']);
}

/** Best parameters, stats, and the sweep's top rows: what a finished job is worth looking at. */
export function resultText(result: ResultSummaryView): string {
  const out: string[] = [];
  out.push(`${result.sweep ? 'best parameters' : 'parameters'}: ${paramsText(result.params)}`, '', statsTable(result.stats as unknown as Record<string, unknown>), '');
  out.push(`trades: ${result.tradesTotal}`);
  if (result.sweep) {
    const { metric, combinations, top } = result.sweep;
    out.push('', `sweep: ${combinations} combinations, top ${top.length} by ${metric}`);
    out.push(
      table(
        ['#', metric, 'return%', 'maxDD%', 'trades', 'params'],
        top.map((row, i) => [i + 1, num((row.stats as unknown as Record<string, unknown>)[metric], metric), num(row.stats.returnPct, 'returnPct'), num(row.stats.maxDrawdownPct, 'maxDrawdownPct'), row.stats.trades, paramsText(row.params)]),
        ['r', 'r', 'r', 'r', 'r', 'l'],
      ),
    );
  }
  return out.join('\n');
}

function requestText(job: Pick<JobView, 'request'>): string {
  const r = job.request;
  const dates = r.startDate || r.endDate ? ` ${r.startDate ?? '…'}..${r.endDate ?? '…'}` : '';
  return `${r.strategyId} ${paramsText(r.params ?? {})} on ${r.symbol} ${r.timeframe}${dates}`;
}

/** `backtest status`: the job at a glance, then its result or error. */
export function jobText(job: JobView): string {
  const out: string[] = [];
  out.push(`job       ${job.jobId}`);
  out.push(`status    ${job.status}${job.cancelRequested && job.status === 'running' ? ' (cancel requested)' : ''}  ${percent(job.progress)}${job.message ? `  ${job.message}` : ''}`);
  if (job.queuePosition !== undefined) out.push(`queue     ${job.queuePosition} ahead${job.etaSeconds !== undefined ? `, starts in about ${job.etaSeconds} s` : ''}`);
  out.push(`request   ${requestText(job)}`);
  out.push(`tier      ${job.tier}, ${job.combinations} combination${job.combinations === 1 ? '' : 's'}, attempt${job.attempts === 1 ? '' : 's'} ${job.attempts}`);
  out.push(`created   ${job.createdAt}${job.startedAt ? `   started ${job.startedAt}` : ''}${job.finishedAt ? `   finished ${job.finishedAt}` : ''}`);
  if (job.error) out.push(`error     ${job.error.code}: ${job.error.message}`);
  if (job.result) out.push('', resultText(job.result));
  const links = Object.entries(job.links ?? {}).filter(([k]) => k !== 'self');
  if (links.length > 0) out.push('', `full result: ${links.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  return out.join('\n');
}

/** `backtest list`: one row per job. */
export function jobsTable(items: JobListItem[]): string {
  return table(
    ['job', 'status', 'progress', 'strategy', 'symbol', 'created', 'return%'],
    items.map((j) => [j.jobId, j.status, percent(j.progress), j.request.strategyId, `${j.request.symbol} ${j.request.timeframe}`, j.createdAt.replace(/\.\d+Z$/, 'Z'), j.result ? num(j.result.stats.returnPct, 'returnPct') : '-']),
    ['l', 'l', 'r', 'l', 'l', 'l', 'r'],
  );
}

export function meText(me: MeView): string {
  const limit = me.dailyLimit === null ? 'no daily limit' : `${me.submissionsToday} of ${me.dailyLimit} submissions today (resets ${me.dailyResetAt})`;
  return [
    `user      ${me.userId}${me.admin ? ' (admin)' : ''}`,
    `tier      ${me.tier}`,
    `credits   ${me.credits} (${me.creditsPerJob} per job)`,
    `today     ${me.dailyLimit === null ? `${me.submissionsToday} submissions, ${limit}` : limit}`,
    `per job   at most ${me.limits.maxCombinations} combinations and ${me.limits.maxBarEvaluations.toLocaleString('en-US')} bar evaluations`,
  ].join('\n');
}

export function strategiesText(items: StrategyView[]): string {
  const out: string[] = [];
  for (const s of items) {
    out.push(`${s.id}  ${s.name !== s.id ? `(${s.name}) ` : ''}${s.description}`);
    const props = Object.entries(s.parameters.properties ?? {});
    if (props.length === 0) {
      out.push('  no parameters', '');
      continue;
    }
    const bounds = (p: (typeof props)[number][1]): string =>
      p.minimum !== undefined || p.maximum !== undefined ? `${p.minimum ?? '…'}..${p.maximum ?? '…'}` : '-';
    out.push(
      table(['  parameter', 'type', 'default', 'bounds', 'description'], props.map(([name, p]) => [`  ${name}`, p.type, p.default === undefined ? '-' : String(p.default), bounds(p), p.description ?? '']), ['l', 'l', 'r', 'r', 'l']),
      '',
    );
  }
  out.push('Sweep a numeric parameter with a list (--param fast=5,10,20) or a range (--param fast=5:50:5).');
  return out.join('\n');
}

export function symbolsText(page: Pick<SymbolsPage, 'items' | 'synthetic'>): string {
  const out: string[] = [];
  if (page.items.length > 0) {
    out.push(table(['symbol', 'timeframe', 'first bar', 'last bar', 'bars', 'source'], page.items.map((s) => [s.symbol, s.timeframe, s.firstBar, s.lastBar, s.bars, s.source]), ['l', 'l', 'l', 'l', 'r', 'l']));
  } else {
    out.push('no market data files');
  }
  out.push('', `${page.synthetic.pattern} (${page.synthetic.timeframes.join(', ')}): ${page.synthetic.description}`);
  return out.join('\n');
}

export function queuesTable(view: QueuesView): string {
  return [
    `queues at ${view.at}`,
    table(
      ['tier', 'waiting', 'in flight', 'DLQ', 'oldest', 'concurrency'],
      view.tiers.map((t) => [t.tier, t.waiting, t.inFlight, t.deadLettered, t.oldestQueuedAgeSeconds === null ? '-' : `${t.oldestQueuedAgeSeconds} s`, t.maxConcurrency]),
      ['l', 'r', 'r', 'r', 'r', 'r'],
    ),
  ].join('\n');
}

export function userText(user: UserAccountView): string {
  return [
    `user      ${user.userId}${user.hasAccount ? '' : ' (no account yet: the first submit creates it)'}`,
    `tier      ${user.tier}`,
    `credits   ${user.credits}`,
    `today     ${user.submissionsToday} submissions${user.dailyLimit === null ? '' : ` of ${user.dailyLimit}`} (${user.day})`,
  ].join('\n');
}
