import { Metrics } from '@aws-lambda-powertools/metrics';
import { vi } from 'vitest';

/** One metric value as CloudWatch reads it from an EMF document. */
export interface EmfDatum {
  namespace: string;
  name: string;
  unit: string;
  value: number;
  dimensions: Record<string, string>;
}

/** A Metrics instance as the functions get it on AWS (namespace and service from the CDK's values). */
export function testMetrics(): Metrics {
  return new Metrics({ namespace: 'BacktestQueue', serviceName: 'backtest-queue' });
}

/**
 * Runs `act` with stdout captured, and reads back every EMF document Powertools wrote, the way CloudWatch does:
 * each metric's value(s) with the dimensions its document declares. Other stdout lines pass through untouched.
 */
export async function captureEmf(act: () => Promise<unknown>): Promise<EmfDatum[]> {
  const lines: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (text.includes('"_aws"')) lines.push(...text.split('\n').filter((l) => l.trim() !== ''));
    else return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
    return true;
  }) as typeof process.stdout.write);
  try {
    await act();
  } finally {
    spy.mockRestore();
  }
  return lines.flatMap(parseEmf);
}

function parseEmf(line: string): EmfDatum[] {
  const doc = JSON.parse(line) as Record<string, unknown> & {
    _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  };
  return doc._aws.CloudWatchMetrics.flatMap((directive) => {
    const dimensions = Object.fromEntries((directive.Dimensions[0] ?? []).map((key) => [key, String(doc[key])]));
    return directive.Metrics.flatMap(({ Name, Unit }) => {
      const raw = doc[Name];
      const values = Array.isArray(raw) ? (raw as number[]) : [raw as number];
      return values.map((value) => ({ namespace: directive.Namespace, name: Name, unit: Unit, value, dimensions }));
    });
  });
}

/** The data of one metric name, for assertions that do not care about the order of names. */
export const named = (data: EmfDatum[], name: string): EmfDatum[] => data.filter((d) => d.name === name);

/** A Metrics instance that writes nothing (POWERTOOLS_METRICS_DISABLED, as the local stack runs), for tests about something else. */
export function silentMetrics(): Metrics {
  const before = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  try {
    return testMetrics();
  } finally {
    if (before === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = before;
  }
}
