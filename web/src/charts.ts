/**
 * Charts drawn by TradingView's lightweight-charts (v5). Each chart sits in a <figure> named by its caption, and the
 * canvas is hidden from assistive technology because the figure carries the same data as a table.
 */
import { AreaSeries, ColorType, createChart, LineSeries, type IChartApi, type UTCTimestamp } from 'lightweight-charts';
import { h, uid } from './dom.ts';

export interface ChartSeries {
  name: string;
  color: string;
  kind?: 'line' | 'area';
  /** time in epoch ms */
  points: { time: number; value: number }[];
}

const THEME = {
  layout: { background: { type: ColorType.Solid, color: 'transparent' }, textColor: '#9aa7b4', fontSize: 11, attributionLogo: false },
  grid: { vertLines: { color: '#1f2a36' }, horzLines: { color: '#1f2a36' } },
  rightPriceScale: { borderColor: '#2a3644' },
  timeScale: { borderColor: '#2a3644', timeVisible: true, secondsVisible: false },
  crosshair: { horzLine: { color: '#5b6b7c' }, vertLine: { color: '#5b6b7c' } },
};

/** Strictly increasing seconds, as the library requires (downsampled curves can repeat a timestamp). */
function toSeries(points: { time: number; value: number }[]): { time: UTCTimestamp; value: number }[] {
  const out: { time: UTCTimestamp; value: number }[] = [];
  for (const p of points) {
    if (!Number.isFinite(p.value)) continue;
    const time = Math.floor(p.time / 1000) as UTCTimestamp;
    if (out.length > 0 && time <= out[out.length - 1].time) out[out.length - 1] = { time: out[out.length - 1].time, value: p.value };
    else out.push({ time, value: p.value });
  }
  return out;
}

export interface ChartFigure {
  figure: HTMLElement;
  /** Replaces the data (the operator chart grows as samples arrive). */
  setData(series: ChartSeries[]): void;
  dispose(): void;
}

/**
 * A figure with caption, chart and a data table behind a disclosure. `table` renders the accessible alternative
 * (built only when opened, as a long curve has thousands of points).
 */
export function chartFigure(options: { caption: string; className?: string; height?: number; table: () => HTMLTableElement; percent?: boolean; intraday?: boolean; integer?: boolean; seconds?: boolean }): ChartFigure {
  const captionId = uid('fig');
  const holder = h('div', { class: 'chart', 'aria-hidden': 'true' });
  holder.style.height = `${options.height ?? 240}px`;
  const details = h('details', { class: 'data-table' }, h('summary', {}, `${options.caption}: data as a table`));
  details.addEventListener('toggle', () => {
    // A focusable region, so keyboard users can scroll the long table.
    if (details.open && details.querySelector('table') === null) details.append(h('div', { class: 'table-region', tabindex: 0, role: 'region', 'aria-label': `${options.caption} data` }, options.table()));
  });
  const figure = h('figure', { class: `chart-figure ${options.className ?? ''}`, 'aria-labelledby': captionId }, h('figcaption', { id: captionId }, options.caption), holder, details);
  let chart: IChartApi | undefined;
  const lines: ReturnType<IChartApi['addSeries']>[] = [];
  const ensure = (): IChartApi => {
    chart ??= createChart(holder, {
      ...THEME,
      autoSize: true,
      timeScale: { ...THEME.timeScale, timeVisible: options.intraday ?? true, secondsVisible: options.seconds ?? false },
      ...(options.percent === true ? { localization: { priceFormatter: (v: number) => `${v.toFixed(1)} %` } } : {}),
    });
    return chart;
  };
  return {
    figure,
    setData(series) {
      const c = ensure();
      series.forEach((s, i) => {
        if (lines[i] === undefined) {
          lines[i] =
            s.kind === 'area'
              ? c.addSeries(AreaSeries, { lineColor: s.color, topColor: `${s.color}10`, bottomColor: `${s.color}55`, lineWidth: 1, title: s.name, invertFilledArea: true })
              : c.addSeries(LineSeries, {
                  color: s.color,
                  lineWidth: 2,
                  title: series.length > 1 ? s.name : '',
                  priceLineVisible: false,
                  ...(options.integer === true ? { priceFormat: { type: 'price' as const, precision: 0, minMove: 1 }, autoscaleInfoProvider: (base: () => { priceRange: { minValue: number; maxValue: number } } | null) => { const r = base(); return { priceRange: { minValue: 0, maxValue: Math.max(4, r?.priceRange.maxValue ?? 0) } }; } } : {}),
                });
        }
        lines[i].setData(toSeries(s.points));
      });
      c.timeScale().fitContent();
    },
    dispose() {
      chart?.remove();
      chart = undefined;
    },
  };
}

/** A plain data table: caption, column headers, rows of text. */
export function dataTable(caption: string, headers: string[], rows: (string | number)[][]): HTMLTableElement {
  return h(
    'table',
    { class: 'data' },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, headers.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((v, i) => (i === 0 ? h('th', { scope: 'row' }, String(v)) : h('td', {}, String(v))))))),
  ) as HTMLTableElement;
}
