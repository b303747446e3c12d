import { describe, expect, it } from 'vitest';
import { parseTimestamp } from '../../engine/index.ts';
import { toIso } from '../../engine/time.ts';
import { rng } from './helpers.ts';

describe('timestamps', () => {
  it('formats exactly like Date#toISOString, including negative and far-future times', () => {
    const next = rng(3);
    const samples = [0, -1, -86_400_000, 1, 999, 86_399_999, Date.UTC(2024, 1, 29, 23, 59, 59, 999), Date.UTC(9999, 11, 31), Date.UTC(10_000, 0, 1), 1.5];
    for (let i = 0; i < 5000; i++) samples.push(Math.floor((next() - 0.3) * 8e12));
    for (const ms of samples) expect(toIso(ms)).toBe(new Date(ms).toISOString());
  });

  it('formats 300 000 random times like Date#toISOString: any ms over the whole four-digit-year range and its edges, minute bars in order', () => {
    // toIso computes the calendar date with integer arithmetic and caches the last day, so both random jumps (every
    // call a new day, leap years, centuries) and ordered minute bars (the cache path) are compared.
    const next = rng(11);
    const first = new Date(0).setUTCFullYear(0, 0, 1); // 0000-01-01 (Date.UTC maps years 0-99 to 1900-1999)
    const end = Date.UTC(10_000, 0, 1); // from here Date prints six-digit years
    const samples = [first, first - 1, end, end - 1, Date.UTC(2000, 1, 29), Date.UTC(2100, 2, 1) - 1, Date.UTC(1900, 1, 28, 23, 59)];
    for (let i = 0; i < 100_000; i++) samples.push(Math.floor(first - 1e12 + next() * (end - first + 2e12)));
    let t = Date.UTC(1985, 0, 1);
    for (let i = 0; i < 200_000; i++) samples.push((t += 60_000 * (1 + Math.floor(next() * 900))));
    let mismatches = 0;
    for (const ms of samples) if (toIso(ms) !== new Date(ms).toISOString()) mismatches++;
    expect(mismatches).toBe(0);
  });

  it('parses dates as UTC midnight and zone-less times as UTC, rejecting impossible dates', () => {
    expect(parseTimestamp('2004-01-02')).toBe(Date.UTC(2004, 0, 2));
    expect(parseTimestamp('2017-04-19 09:00:00')).toBe(Date.UTC(2017, 3, 19, 9));
    expect(parseTimestamp('2017-04-19T09:00')).toBe(Date.UTC(2017, 3, 19, 9));
    expect(parseTimestamp('2017-04-19T09:00:00.250Z')).toBe(Date.UTC(2017, 3, 19, 9, 0, 0, 250));
    expect(parseTimestamp('2017-04-19T09:00:00-05:00')).toBe(Date.UTC(2017, 3, 19, 14));
    for (const bad of ['2021-02-29', '2021-13-01', '2021-01-01 24:00', '01/02/2021', '', '2021-1-1']) expect(parseTimestamp(bad)).toBeNaN();
  });
});
