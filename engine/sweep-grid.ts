import type { ScalarParams } from './strategies/strategy.ts';
import type { Stats, SweepGrid } from './types.ts';

/** Significant digits a grid cell keeps (see SweepGrid). */
export const GRID_DIGITS = 6;

/**
 * The heatmap of a sweep over exactly two varying parameters (undefined otherwise): each combination's `metric`
 * placed by its two values. Combinations missing from `rows` (skipped by a cross-parameter rule) stay null.
 */
export function sweepGrid(
  axes: readonly { name: string; values: readonly (number | boolean)[] }[],
  rows: readonly { params: ScalarParams; stats: Stats }[],
  metric: string,
): SweepGrid | undefined {
  const varying = axes.filter((a) => a.values.length > 1);
  if (varying.length !== 2) return undefined;
  const [a, b] = varying;
  const rowIndex = new Map(a.values.map((v, i) => [v, i]));
  const colIndex = new Map(b.values.map((v, j) => [v, j]));
  const cells: (number | null)[] = new Array(a.values.length * b.values.length).fill(null);
  for (const row of rows) {
    const i = rowIndex.get(row.params[a.name]);
    const j = colIndex.get(row.params[b.name]);
    if (i === undefined || j === undefined) continue;
    const value = row.stats[metric as keyof Stats];
    cells[i * b.values.length + j] = typeof value === 'number' && Number.isFinite(value) ? Number(value.toPrecision(GRID_DIGITS)) : null;
  }
  return {
    params: [a.name, b.name],
    values: { [a.name]: a.values as number[], [b.name]: b.values as number[] },
    metric: cells,
  };
}
