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

  it('parses dates as UTC midnight and zone-less times as UTC, rejecting impossible dates', () => {
    expect(parseTimestamp('2004-01-02')).toBe(Date.UTC(2004, 0, 2));
    expect(parseTimestamp('2017-04-19 09:00:00')).toBe(Date.UTC(2017, 3, 19, 9));
    expect(parseTimestamp('2017-04-19T09:00')).toBe(Date.UTC(2017, 3, 19, 9));
    expect(parseTimestamp('2017-04-19T09:00:00.250Z')).toBe(Date.UTC(2017, 3, 19, 9, 0, 0, 250));
    expect(parseTimestamp('2017-04-19T09:00:00-05:00')).toBe(Date.UTC(2017, 3, 19, 14));
    for (const bad of ['2021-02-29', '2021-13-01', '2021-01-01 24:00', '01/02/2021', '', '2021-1-1']) expect(parseTimestamp(bad)).toBeNaN();
  });
});
