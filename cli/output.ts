/**
 * Where the CLI writes: results to stdout, diagnostics to stderr (so `--json` output stays parseable), and
 * anything that redraws (bars, in-place tables) only when stdout is a terminal.
 */
export interface Output {
  readonly json: boolean;
  /** stdout is a terminal: progress bars and in-place refreshes are allowed. */
  readonly tty: boolean;
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** One line of human output. */
  line(text?: string): void;
  /** A value as JSON, one document (pretty on a terminal, one line otherwise, both parseable). */
  data(value: unknown): void;
  /** A diagnostic on stderr, prefixed so it is clear who says it. */
  note(text: string): void;
}

export function createOutput(options: { json: boolean; stdout?: Output['stdout']; stderr?: NodeJS.WritableStream }): Output {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const tty = stdout.isTTY === true && process.env.TERM !== 'dumb';
  return {
    json: options.json,
    tty,
    stdout,
    line: (text = '') => void stdout.write(`${text}\n`),
    data: (value) => void stdout.write(`${JSON.stringify(value, null, tty ? 2 : undefined)}\n`),
    note: (text) => void stderr.write(`backtest: ${text}\n`),
  };
}

/** A plain text table: columns padded to their widest cell, numbers right-aligned. */
export function table(headers: string[], rows: (string | number)[][], align: ('l' | 'r')[] = []): string {
  const cells = rows.map((r) => r.map((c) => String(c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const pad = (text: string, i: number): string => ((align[i] ?? 'l') === 'r' ? text.padStart(widths[i]) : text.padEnd(widths[i]));
  const render = (r: string[]): string => r.map((c, i) => pad(c, i)).join('  ').trimEnd();
  return [render(headers), ...cells.map(render)].join('\n');
}
