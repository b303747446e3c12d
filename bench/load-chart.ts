import type { Tier } from '../lambdas/core/tiers.ts';

/** A job's queue wait by the time it was submitted, both in seconds from the start of the run. */
export interface WaitPoint {
  tier: Tier;
  submittedS: number;
  waitS: number;
}

const COLORS: Record<Tier, string> = { free: '#8a5a00', basic: '#1f5fbf', pro: '#1b7a3a' };
const W = 760;
const H = 360;
const M = { left: 56, right: 110, top: 36, bottom: 44 };

/** Round tick steps (1, 2, 5 x 10^n) giving about `count` ticks up to `max`. */
function ticks(max: number, count = 6): number[] {
  if (!(max > 0)) return [0];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  // Up to the first tick at or above max, so every point is inside the axis.
  for (let v = 0; ; v += step) {
    out.push(Number(v.toPrecision(6)));
    if (v >= max) break;
  }
  return out;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * An SVG chart of queue wait per tier over the run: one dot per job at (submitted, wait), and per tier a line through
 * the mean wait of each `bucketS`-second window of submissions. Self-contained (no fonts or scripts), with a title
 * and description for screen readers.
 */
export function waitChartSvg(points: readonly WaitPoint[], title: string, bucketS = 10): string {
  const tiers: Tier[] = ['free', 'basic', 'pro'];
  const maxX = Math.max(bucketS, ...points.map((p) => p.submittedS));
  const maxY = Math.max(1, ...points.map((p) => p.waitS));
  const xt = ticks(maxX);
  const yt = ticks(maxY, 5);
  const xMax = xt[xt.length - 1];
  const yMax = yt[yt.length - 1];
  const px = (x: number): number => M.left + (x / xMax) * (W - M.left - M.right);
  const py = (y: number): number => H - M.bottom - (y / yMax) * (H - M.top - M.bottom);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-labelledby="t d" font-family="sans-serif" font-size="12">`);
  const summary = tiers
    .map((t) => {
      const ws = points.filter((p) => p.tier === t).map((p) => p.waitS);
      return ws.length === 0 ? `${t}: no jobs` : `${t}: ${ws.length} jobs, max wait ${Math.max(...ws).toFixed(1)} s`;
    })
    .join('; ');
  parts.push(`<title id="t">${esc(title)}</title><desc id="d">Queue wait in seconds by submission time, per tier. ${esc(summary)}.</desc>`);
  parts.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<text x="${M.left}" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`);
  for (const y of yt) parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${py(y)}" y2="${py(y)}" stroke="#ddd"/><text x="${M.left - 6}" y="${py(y) + 4}" text-anchor="end">${y}</text>`);
  for (const x of xt) parts.push(`<line x1="${px(x)}" x2="${px(x)}" y1="${H - M.bottom}" y2="${H - M.bottom + 4}" stroke="#333"/><text x="${px(x)}" y="${H - M.bottom + 17}" text-anchor="middle">${x}</text>`);
  parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#333"/><line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" stroke="#333"/>`);
  parts.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 8}" text-anchor="middle">submitted at (s from the start)</text>`);
  parts.push(`<text transform="translate(14 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">queue wait (s)</text>`);
  tiers.forEach((tier, i) => {
    const mine = points.filter((p) => p.tier === tier);
    for (const p of mine) parts.push(`<circle cx="${px(p.submittedS).toFixed(1)}" cy="${py(p.waitS).toFixed(1)}" r="1.6" fill="${COLORS[tier]}" fill-opacity="0.35"/>`);
    const buckets = new Map<number, number[]>();
    for (const p of mine) {
      const b = Math.floor(p.submittedS / bucketS);
      buckets.set(b, [...(buckets.get(b) ?? []), p.waitS]);
    }
    const line = [...buckets.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([b, ws]) => `${px((b + 0.5) * bucketS).toFixed(1)},${py(ws.reduce((s, w) => s + w, 0) / ws.length).toFixed(1)}`);
    if (line.length > 0) parts.push(`<polyline points="${line.join(' ')}" fill="none" stroke="${COLORS[tier]}" stroke-width="2"/>`);
    const ly = M.top + 10 + i * 20;
    parts.push(`<line x1="${W - M.right + 12}" x2="${W - M.right + 32}" y1="${ly}" y2="${ly}" stroke="${COLORS[tier]}" stroke-width="2"/><text x="${W - M.right + 38}" y="${ly + 4}">${tier} (mean)</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
