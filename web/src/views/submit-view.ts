/**
 * The submit form, built from GET /strategies and GET /symbols: strategy, its parameters (value, list or range),
 * symbol (with the data's range as a hint), timeframe, dates, cash, commission, slippage, position sizing and
 * fractional units (everything POST /backtests takes, so a leaderboard entry's Copy runs with its own costs). Errors
 * from the API appear beside their fields and in a summary at the top; nothing is submitted while the input is known
 * to be wrong.
 */
import { ApiError } from '../../../client/api-client.ts';
import type { ParamValue, Sizing, StrategyView, SubmitBody, SymbolView, SymbolsPage, Timeframe } from '../../../client/types.ts';
import { h, replace, uid } from '../dom.ts';
import { int } from '../format.ts';
import { FormErrors, type FieldIssue } from '../form-errors.ts';
import { paramField, type ParamField } from '../param-field.ts';
import { announce } from '../live-region.ts';
import type { AppContext } from '../app-context.ts';
import { takePrefill } from '../submit-prefill.ts';

const TIMEFRAMES: Timeframe[] = ['1d', '1h', '15m', '5m', '1m'];
/** Metrics the engine can rank a sweep by (stats keys). */
const METRICS = ['sharpe', 'returnPct', 'cagrPct', 'sortino', 'calmar', 'profitFactor', 'winRatePct', 'maxDrawdownPct', 'expectancyPct'];

export function submitView(ctx: AppContext, signal: AbortSignal): HTMLElement {
  const errors = new FormErrors();
  // A body another view handed over (a leaderboard entry's Copy), applied once the strategies are known.
  const prefill = takePrefill();
  const status = h('p', { class: 'form-status', role: 'status' });
  const paramsBox = h('div', { class: 'params' });
  let params: ParamField[] = [];
  let strategies: StrategyView[] = [];
  const symbols = new Map<string, SymbolView[]>();
  let synthetic: SymbolsPage['synthetic'] | undefined;

  const field = (path: string, label: string, control: HTMLElement, hintText?: string): HTMLElement => {
    const id = control.id;
    const hint = hintText === undefined ? null : h('p', { class: 'hint', id: `${id}-hint` }, hintText);
    if (hint !== null) control.setAttribute('aria-describedby', `${id}-hint`);
    const error = errors.field(path, label, id, () => [control]);
    return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint, error);
  };

  const strategy = h('select', { id: 'strategyId', name: 'strategyId' }) as HTMLSelectElement;
  const strategyHint = h('p', { class: 'hint', id: 'strategyId-hint' });
  strategy.setAttribute('aria-describedby', 'strategyId-hint');
  const symbolList = h('datalist', { id: uid('symbols') });
  const symbol = h('input', { id: 'symbol', name: 'symbol', type: 'text', list: symbolList.id, autocomplete: 'off', spellcheck: 'false', value: 'SYNTH-DEMO' }) as HTMLInputElement;
  const symbolHint = h('p', { class: 'hint', id: 'symbol-hint' });
  symbol.setAttribute('aria-describedby', 'symbol-hint');
  const timeframe = h('select', { id: 'timeframe', name: 'timeframe' }, TIMEFRAMES.map((t) => h('option', { value: t }, t))) as HTMLSelectElement;
  const startDate = h('input', { id: 'startDate', name: 'startDate', type: 'date', value: '2010-01-01' }) as HTMLInputElement;
  const endDate = h('input', { id: 'endDate', name: 'endDate', type: 'date', value: '2020-12-31' }) as HTMLInputElement;
  const cash = h('input', { id: 'initialCash', name: 'initialCash', type: 'number', min: '1', step: 'any', value: '10000' }) as HTMLInputElement;
  const commission = h('input', { id: 'commission', name: 'commission', type: 'number', min: '0', max: '0.1', step: 'any', value: '0.001' }) as HTMLInputElement;
  const slippage = h('input', { id: 'slippageBps', name: 'slippageBps', type: 'number', min: '0', max: '1000', step: 'any', value: '0' }) as HTMLInputElement;
  const sizingKind = h(
    'select',
    { id: 'sizing', name: 'sizing' },
    h('option', { value: 'all-in' }, 'All in'),
    h('option', { value: 'fraction' }, 'Fraction of equity'),
    h('option', { value: 'units' }, 'Fixed units'),
  ) as HTMLSelectElement;
  const sizingValue = h('input', { id: 'sizingValue', name: 'sizingValue', type: 'number', min: '0', step: 'any', disabled: true }) as HTMLInputElement;
  const sizingHint = h('p', { class: 'hint', id: 'sizingValue-hint' });
  sizingValue.setAttribute('aria-describedby', 'sizingValue-hint');
  const fractional = h('input', { id: 'fractional', name: 'fractional', type: 'checkbox' }) as HTMLInputElement;
  const metric = h('select', { id: 'sweepMetric', name: 'sweepMetric' }, METRICS.map((m) => h('option', { value: m }, m))) as HTMLSelectElement;
  const combos = h('p', { class: 'hint combos', id: 'combinations', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Submit backtest') as HTMLButtonElement;

  const strategyError = errors.field('strategyId', 'Strategy', 'strategyId', () => [strategy]);
  // Every sizing error (sizing, sizing.units, sizing.fraction) lands beside the value, the control that is wrong.
  const sizingError = errors.field('sizing', 'Position size', 'sizingValue', () => [sizingValue]);
  const fractionalError = errors.field('fractional', 'Fractional units', 'fractional', () => [fractional]);

  const showSizing = (): void => {
    const kind = sizingKind.value;
    sizingValue.disabled = kind === 'all-in';
    sizingValue.max = kind === 'fraction' ? '1' : '';
    sizingHint.textContent =
      kind === 'fraction' ? 'share of equity per entry, up to 1' : kind === 'units' ? 'units per entry, at most what the cash buys' : 'each entry spends all the cash';
  };
  sizingKind.addEventListener('change', showSizing);
  showSizing();

  const setSizing = (sizing: Sizing | undefined): void => {
    if (sizing === undefined || sizing === 'all-in') {
      sizingKind.value = 'all-in';
      sizingValue.value = '';
    } else if ('fraction' in sizing) {
      sizingKind.value = 'fraction';
      sizingValue.value = String(sizing.fraction);
    } else {
      sizingKind.value = 'units';
      sizingValue.value = String(sizing.units);
    }
    showSizing();
  };
  const symbolError = errors.field('symbol', 'Symbol', 'symbol', () => [symbol]);

  const updateCombos = (): void => {
    const n = params.reduce((acc, p) => acc * p.count(), 1);
    const max = ctx.me()?.limits.maxCombinations;
    combos.textContent = n > 1 ? `${int(n)} combinations${max !== undefined ? ` (your limit: ${int(max)})` : ''}` : 'One backtest';
    metric.disabled = n <= 1;
  };

  const showStrategy = (): void => {
    const chosen = strategies.find((s) => s.id === strategy.value);
    errors.dropFields('params.');
    params = chosen === undefined ? [] : Object.entries(chosen.parameters.properties).map(([name, schema]) => paramField(name, schema, errors, updateCombos));
    strategyHint.textContent = chosen?.description ?? '';
    replace(paramsBox, params.length > 0 ? h('fieldset', {}, h('legend', {}, 'Parameters'), params.map((p) => p.element)) : null);
    // A sweep over the classic SMA cross makes a useful first screen.
    if (chosen?.id === 'sma-cross') {
      params.find((p) => p.name === 'fast')?.set({ from: 5, to: 20, step: 5 });
      params.find((p) => p.name === 'slow')?.set({ from: 30, to: 60, step: 10 });
    }
    updateCombos();
  };
  strategy.addEventListener('change', showStrategy);

  const showSymbol = (): void => {
    const name = symbol.value.trim().toUpperCase();
    const data = symbols.get(name);
    if (data !== undefined && data.length > 0) {
      symbolHint.textContent = data.map((d) => `${d.timeframe}: ${d.firstBar.slice(0, 10)} to ${d.lastBar.slice(0, 10)}, ${int(d.bars)} bars`).join('; ');
      if (!data.some((d) => d.timeframe === timeframe.value)) timeframe.value = data[0].timeframe;
      // Dates outside the data would be refused: bring them inside the range the data covers.
      const range = data.find((d) => d.timeframe === timeframe.value) ?? data[0];
      const [first, last] = [range.firstBar.slice(0, 10), range.lastBar.slice(0, 10)];
      if (startDate.value === '' || startDate.value < first || startDate.value > last) startDate.value = first;
      if (endDate.value === '' || endDate.value > last || endDate.value < first) endDate.value = last;
    } else if (name.startsWith('SYNTH-')) {
      symbolHint.textContent = synthetic?.description ?? 'Synthetic prices, the same series for the same name';
    } else {
      symbolHint.textContent = symbols.size > 0 ? `Data: ${[...symbols.keys()].slice(0, 8).join(', ')}${symbols.size > 8 ? '…' : ''} or SYNTH-<anything>` : '';
    }
  };
  symbol.addEventListener('input', showSymbol);

  const read = (): { body: SubmitBody } | { issues: FieldIssue[] } => {
    const issues: FieldIssue[] = [];
    const values: Record<string, ParamValue> = {};
    for (const p of params) {
      const r = p.read();
      if ('error' in r) issues.push({ path: `params.${p.name}`, message: r.error });
      else values[p.name] = r.value;
    }
    if (symbol.value.trim() === '') issues.push({ path: 'symbol', message: 'choose a symbol' });
    const number = (input: HTMLInputElement, path: string): number | undefined => {
      if (input.value.trim() === '') return undefined;
      const n = Number(input.value);
      if (!Number.isFinite(n) || input.validity.badInput) issues.push({ path, message: 'must be a number' });
      return n;
    };
    const initialCash = number(cash, 'initialCash');
    const commissionValue = number(commission, 'commission');
    const slippageValue = number(slippage, 'slippageBps');
    let sizing: Sizing | undefined;
    if (sizingKind.value !== 'all-in') {
      const v = number(sizingValue, 'sizing');
      const fraction = sizingKind.value === 'fraction';
      if (v === undefined) issues.push({ path: 'sizing', message: fraction ? 'enter the share of equity, e.g. 0.5' : 'enter the number of units' });
      else if (Number.isFinite(v) && !(v > 0 && (!fraction || v <= 1))) issues.push({ path: 'sizing', message: fraction ? 'must be above 0 and at most 1' : 'must be above 0' });
      else sizing = fraction ? { fraction: v } : { units: v };
    }
    if (issues.length > 0) return { issues };
    const sweep = params.reduce((acc, p) => acc * p.count(), 1) > 1;
    return {
      body: {
        strategyId: strategy.value,
        params: values,
        symbol: symbol.value.trim(),
        timeframe: timeframe.value as Timeframe,
        ...(startDate.value ? { startDate: startDate.value } : {}),
        ...(endDate.value ? { endDate: endDate.value } : {}),
        ...(initialCash !== undefined ? { initialCash } : {}),
        ...(commissionValue !== undefined ? { commission: commissionValue } : {}),
        ...(slippageValue !== undefined ? { slippageBps: slippageValue } : {}),
        ...(sizing !== undefined ? { sizing } : {}),
        ...(fractional.checked ? { fractional: true } : {}),
        ...(sweep ? { sweep: { metric: metric.value } } : {}),
      },
    };
  };

  const form = h(
    'form',
    {
      class: 'submit-form',
      novalidate: true,
      'aria-labelledby': 'submit-title',
      onsubmit: (event: Event) => {
        event.preventDefault();
        void send();
      },
    },
    h('h2', { id: 'submit-title' }, 'New backtest'),
    errors.summary,
    h('div', { class: 'field' }, h('label', { for: 'strategyId' }, 'Strategy'), strategy, strategyHint, strategyError),
    paramsBox,
    combos,
    h('div', { class: 'field' }, h('label', { for: 'symbol' }, 'Symbol'), symbol, symbolList, symbolHint, symbolError),
    h('div', { class: 'row' }, field('timeframe', 'Timeframe', timeframe), field('sweep.metric', 'Rank sweep by', metric)),
    h('div', { class: 'row' }, field('startDate', 'Start date', startDate), field('endDate', 'End date', endDate)),
    h('div', { class: 'row' }, field('initialCash', 'Initial cash', cash), field('commission', 'Commission (fraction)', commission, 'e.g. 0.001 = 0.1 % per trade')),
    h(
      'div',
      { class: 'row' },
      field('slippageBps', 'Slippage (basis points)', slippage, '5 = 0.05 % against you on each fill'),
      h('div', { class: 'field' }, h('label', { for: 'sizing' }, 'Position sizing'), sizingKind),
    ),
    h(
      'div',
      { class: 'row' },
      h('div', { class: 'field' }, h('label', { for: 'sizingValue' }, 'Position size'), sizingValue, sizingHint, sizingError),
      h('div', { class: 'field' }, h('div', { class: 'check' }, fractional, h('label', { for: 'fractional' }, 'Fractional units')), h('p', { class: 'hint' }, 'buy parts of a unit (else whole units only)'), fractionalError),
    ),
    h('div', { class: 'actions' }, submit, status),
  );

  async function send(): Promise<void> {
    const read_ = read();
    if ('issues' in read_) {
      errors.show(read_.issues);
      return;
    }
    errors.clear();
    submit.disabled = true;
    status.textContent = 'Submitting…';
    try {
      const response = await ctx.api.submit(read_.body);
      status.textContent = `Submitted ${response.jobId.slice(0, 8)} (${int(response.combinations)} combination${response.combinations === 1 ? '' : 's'}).`;
      announce(`Backtest submitted, ${response.combinations} combinations, queued on the ${response.tier} tier.`);
      await ctx.feed.track(response.jobId).catch(() => undefined);
      void ctx.refreshMe();
    } catch (error) {
      status.textContent = '';
      // A refusal (daily limit, credits) is news about the account too.
      void ctx.refreshMe();
      if (error instanceof ApiError && error.status !== 401) {
        const issues = error.fieldErrors.length > 0 ? error.fieldErrors : [{ path: '', message: error.problem.detail || error.problem.title }];
        errors.show(issues, error.status === 400 ? 'There is a problem' : error.problem.title);
      } else {
        errors.show([{ path: '', message: ctx.describeError(error) }]);
      }
    } finally {
      submit.disabled = false;
    }
  }

  void (async () => {
    try {
      const list = await ctx.api.strategies();
      strategies = list.items;
      replace(strategy, strategies.map((s) => h('option', { value: s.id }, s.name)));
      strategy.value = strategies.some((s) => s.id === 'sma-cross') ? 'sma-cross' : (strategies[0]?.id ?? '');
      showStrategy();
      if (prefill !== undefined && strategies.some((s) => s.id === prefill.body.strategyId)) {
        const b = prefill.body;
        strategy.value = b.strategyId;
        showStrategy();
        for (const p of params) if (b.params?.[p.name] !== undefined) p.set(b.params[p.name]);
        symbol.value = b.symbol;
        if (b.timeframe !== undefined) timeframe.value = b.timeframe;
        if (b.startDate !== undefined) startDate.value = b.startDate;
        if (b.endDate !== undefined) endDate.value = b.endDate;
        if (b.initialCash !== undefined) cash.value = String(b.initialCash);
        if (b.commission !== undefined) commission.value = String(b.commission);
        if (b.slippageBps !== undefined) slippage.value = String(b.slippageBps);
        setSizing(b.sizing);
        fractional.checked = b.fractional === true;
        updateCombos();
        status.textContent = `Filled in from ${prefill.source}. Submit to run it as your own backtest.`;
        announce(`The form is filled in from ${prefill.source}.`);
      }
    } catch (error) {
      status.textContent = `Strategies could not be read: ${ctx.describeError(error)}`;
    }
    try {
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        const result = await ctx.api.symbols({ limit: 100, ...(cursor !== undefined ? { cursor } : {}) });
        synthetic = result.synthetic;
        for (const s of result.items) symbols.set(s.symbol.toUpperCase(), [...(symbols.get(s.symbol.toUpperCase()) ?? []), s]);
        if (result.nextCursor === null) break;
        cursor = result.nextCursor;
      }
      replace(
        symbolList,
        [...symbols.entries()].map(([name, data]) => h('option', { value: name }, data.map((d) => d.timeframe).join(' '))),
        h('option', { value: 'SYNTH-DEMO' }, 'synthetic'),
      );
      showSymbol();
    } catch (error) {
      symbolHint.textContent = `The symbol list could not be read (${ctx.describeError(error)}); type a symbol or SYNTH-<name>.`;
    }
  })();
  ctx.events.addEventListener('me', updateCombos, { signal });

  return h('section', { class: 'panel submit-panel', 'aria-labelledby': 'submit-title' }, form);
}
