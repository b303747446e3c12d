import { createHash } from 'node:crypto';
import type { BarSeries } from './types.ts';

/**
 * The engine's version, recorded in every result with the fingerprint of the bars it ran on. Bump it whenever a change
 * can alter any number the engine computes (fills, sizing, stats), so a stored result says which arithmetic made it
 * and a re-run on another version is known not to be comparable.
 */
export const ENGINE_VERSION = '1.1.0';

/** What a result records about how it was computed: the engine version and the SHA-256 of the bars, hex. */
export interface RunProvenance {
  engineVersion: string;
  barsSha256: string;
}

/** Whether doubles are stored little-endian here (the sign and exponent byte of 1.0 comes last). */
const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

/**
 * SHA-256 over the bars exactly as the engine saw them: the bar count, then each column (time, open, high, low, close,
 * volume) as IEEE-754 little-endian doubles. Two series with the same fingerprint give the same result on the same
 * engine version; one changed price, a missing bar or a shifted timestamp gives another fingerprint.
 */
export function barsFingerprint(bars: BarSeries): string {
  const hash = createHash('sha256');
  const header = new DataView(new ArrayBuffer(8));
  header.setFloat64(0, bars.length, true);
  hash.update(new Uint8Array(header.buffer));
  const n = bars.length;
  for (const values of [bars.time, bars.open, bars.high, bars.low, bars.close, bars.volume]) {
    if (LITTLE_ENDIAN) {
      hash.update(new Uint8Array(values.buffer, values.byteOffset, n * 8));
    } else {
      // Rewritten little-endian so a big-endian machine gives the same digest.
      const column = new DataView(new ArrayBuffer(n * 8));
      for (let i = 0; i < n; i++) column.setFloat64(i * 8, values[i], true);
      hash.update(new Uint8Array(column.buffer));
    }
  }
  return hash.digest('hex');
}

export function provenanceOf(bars: BarSeries): RunProvenance {
  return { engineVersion: ENGINE_VERSION, barsSha256: barsFingerprint(bars) };
}
