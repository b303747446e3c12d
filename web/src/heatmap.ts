/**
 * The sweep's metric over a two-parameter grid as a colour-scaled table. It is a real table (row and column headers
 * are the parameter values) and an ARIA grid: one tab stop, arrow keys move between cells, Enter or a click chooses
 * the combination. Every cell's name says its parameters and value, so the colour is never the only carrier.
 */
import { h, uid } from './dom.ts';
import { num } from './format.ts';
import type { SweepGrid } from '../../client/types.ts';

export interface HeatmapOptions {
  grid: SweepGrid;
  metric: string;
  /** Larger is better for this metric (colours run from worst to best). */
  higherIsBetter: boolean;
  onChoose: (params: Record<string, number>) => void;
}

export function heatmap(options: HeatmapOptions): HTMLElement {
  const { grid, metric } = options;
  const [rowParam, colParam] = grid.params;
  const rows = grid.values[rowParam] ?? [];
  const cols = grid.values[colParam] ?? [];
  const finite = grid.metric.filter((v): v is number => v !== null && Number.isFinite(v));
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  const captionId = uid('heatmap');
  const dense = cols.length > 14;
  const labelEvery = Math.max(1, Math.ceil(cols.length / 12));
  const rowLabelEvery = Math.max(1, Math.ceil(rows.length / 20));
  const buttons: HTMLButtonElement[][] = [];
  let active: [number, number] = [0, 0];

  const colour = (value: number | null): string => {
    if (value === null || !Number.isFinite(value) || finite.length === 0) return 'transparent';
    let t = max === min ? 0.5 : (value - min) / (max - min);
    if (!options.higherIsBetter) t = 1 - t;
    // Red (worst) through amber to green (best), dark enough for white text.
    const hue = Math.round(t * 130);
    return `hsl(${hue} 60% ${28 + t * 8}%)`;
  };

  const move = (r: number, c: number): void => {
    const rr = Math.max(0, Math.min(rows.length - 1, r));
    const cc = Math.max(0, Math.min(cols.length - 1, c));
    buttons[active[0]][active[1]].tabIndex = -1;
    active = [rr, cc];
    const b = buttons[rr][cc];
    b.tabIndex = 0;
    b.focus();
  };

  const body = h(
    'tbody',
    {},
    rows.map((rv, r) => {
      buttons[r] = [];
      return h(
        'tr',
        {},
        h('th', { scope: 'row' }, dense && r % rowLabelEvery !== 0 ? h('span', { class: 'visually-hidden' }, String(rv)) : String(rv)),
        cols.map((cv, c) => {
          const value = grid.metric[r * cols.length + c] ?? null;
          const label = `${rowParam} ${rv}, ${colParam} ${cv}: ${metric} ${value === null ? 'none' : num(value, 2)}`;
          const button = h(
            'button',
            {
              type: 'button',
              class: 'cell',
              tabindex: r === 0 && c === 0 ? 0 : -1,
              'aria-label': label,
              title: label,
              disabled: value === null,
              onclick: () => options.onChoose({ [rowParam]: rv, [colParam]: cv }),
              onkeydown: (event: Event) => {
                const key = (event as KeyboardEvent).key;
                const delta: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
                if (key in delta) {
                  event.preventDefault();
                  move(r + delta[key][0], c + delta[key][1]);
                } else if (key === 'Home' || key === 'End') {
                  event.preventDefault();
                  move(r, key === 'Home' ? 0 : cols.length - 1);
                }
              },
            },
            dense ? '' : value === null ? '' : num(value, 2),
          ) as HTMLButtonElement;
          button.style.background = colour(value);
          buttons[r][c] = button;
          return h('td', { role: 'gridcell' }, button);
        }),
      );
    }),
  );

  const table = h(
    'table',
    { class: `heatmap${dense ? ' dense' : ''}`, role: 'grid', 'aria-labelledby': captionId },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col', class: 'corner' }, `${rowParam} \\ ${colParam}`),
        // A dense grid labels every few columns visibly; every header still names its value for assistive technology.
        cols.map((cv, c) => h('th', { scope: 'col' }, dense && c % labelEvery !== 0 ? h('span', { class: 'visually-hidden' }, String(cv)) : h('span', { class: 'col-label' }, String(cv)))),
      ),
    ),
    body,
  );
  // Colours set through the CSSOM, not style attributes, so a strict Content-Security-Policy (no inline styles) holds.
  const swatch = (value: number): HTMLElement => {
    const el = h('span', { class: 'swatch' });
    el.style.background = colour(value);
    return el;
  };
  const worst = options.higherIsBetter ? min : max;
  const best = options.higherIsBetter ? max : min;
  const legend = h('p', { class: 'legend' }, swatch(worst), ` worst ${num(worst, 3)}  `, swatch(best), ` best ${num(best, 3)}`);
  return h(
    'figure',
    { class: 'heatmap-figure', 'aria-labelledby': captionId },
    h('figcaption', { id: captionId }, `Heatmap of ${metric} over ${rowParam} (rows) and ${colParam} (columns)`),
    h('div', { class: 'heatmap-scroll' }, table),
    legend,
    h('p', { class: 'hint' }, 'Choose a cell (arrow keys, then Enter) to run that combination as its own backtest: one job from your credits, opened when submitted; choosing it again opens the same job.'),
  );
}
