import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runCReference } from '../../bench/c-reference.ts';
import { syntheticSeries, type BacktestSpec } from '../../engine/index.ts';

function hasCompiler(): boolean {
  try {
    execFileSync('cc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const compiler = hasCompiler();
if (!compiler) {
  const message = 'test/bench/c-reference.test.ts: no C compiler (cc) on this machine; the C reference is not checked';
  if (process.env.CI === 'true') throw new Error(`${message} (CI=true requires it)`);
  console.warn(message);
}

describe.runIf(compiler || process.env.CI === 'true')('C reference for npm run bench', () => {
  const bars = syntheticSeries('SYNTH-CREF', '1m', Date.UTC(2020, 0, 1), Date.UTC(2020, 6, 1));
  const spec: BacktestSpec = { strategyId: 'sma-cross', params: { fast: 10, slow: 30 }, initialCash: 100_000, commission: 0.001, fractional: true };

  it.each([
    { fast: 10, slow: 30, commission: 0.001 },
    { fast: 50, slow: 200, commission: 0 },
    { fast: 1, slow: 5, commission: 0.002 },
  ])('makes the same trades and the same final equity as the engine and as its JavaScript transcription: sma-cross($fast, $slow)', async ({ fast, slow, commission }) => {
    const result = await runCReference(bars, { ...spec, params: { fast, slow }, commission }, 1);

    expect(result.kind).toBe('ran');
    if (result.kind !== 'ran') return;
    expect(result.engineTrades).toBeGreaterThan(10);
    expect(result.trades).toBe(result.engineTrades);
    expect(result.equityFinal).toBe(result.engineEquityFinal);
    expect(result.same).toBe(true);
    // The loop transcribed into JavaScript (the bench's yardstick for V8) ends on the same doubles as the C binary.
    expect(result.js.same).toBe(true);
  }, 60_000);

  it('says why it does not run a spec it does not implement', async () => {
    const result = await runCReference(bars, { ...spec, params: { fast: 10, slow: 30, allowShort: true } }, 1);
    expect(result).toEqual({ kind: 'skipped', reason: expect.stringMatching(/long-only/) });
  });
});
