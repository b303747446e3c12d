/** Number and time formatting shared by the views: fixed precision, so columns line up. */

export function num(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function pct(value: number | null | undefined, digits = 2): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : `${num(value, digits)} %`;
}

export function money(value: number | null | undefined): string {
  return num(value, 2);
}

export function int(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : Math.round(value).toLocaleString('en-US');
}

/** "2026-11-28 07:41:43 UTC": one zone for everyone, as the API speaks. */
export function utc(iso: string | number | undefined): string {
  if (iso === undefined) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function dateOnly(iso: string | number): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toISOString().slice(0, 10);
}

/** "3 s", "4 min", "2 h 5 min". */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 90) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

const plain = (v: number): string => num(v, Number.isInteger(v) ? 0 : 4).replace(/,/g, '');

/** "fast 10, slow 30"; sweeps as "fast 5-20 step 5, slow [30, 60]". */
export function paramsText(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => {
      if (typeof v === 'number') return `${k} ${plain(v)}`;
      if (Array.isArray(v)) return `${k} [${v.map((x) => (typeof x === 'number' ? plain(x) : String(x))).join(', ')}]`;
      if (typeof v === 'object' && v !== null && 'from' in v) {
        const r = v as { from: number; to: number; step: number };
        return `${k} ${plain(r.from)}-${plain(r.to)} step ${plain(r.step)}`;
      }
      return `${k} ${String(v)}`;
    })
    .join(', ');
}
