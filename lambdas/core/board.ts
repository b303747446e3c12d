import * as z from '../../engine/zod-mini.ts';
import { BOARD_DATA } from './leaderboard-boards.ts';

const isoDate = z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD'));
const window = z
  .strictObject({ startDate: isoDate, endDate: isoDate })
  .check(z.refine((w) => w.startDate <= w.endDate, { message: 'startDate must not be after endDate' }));

/**
 * A board: a fixed benchmark. Authors tune on the in-sample window; every entry is ranked on the out-of-sample window,
 * which must start after the in-sample one ends so no entry was ever tuned on the data it is ranked on. Daily only:
 * the deflated Sharpe ratio is computed from daily returns (deflated-sharpe.ts).
 */
export const boardSchema = z
  .strictObject({
    id: z.string().check(z.regex(/^[a-z0-9][a-z0-9-]{2,47}$/, 'must be 3-48 lower-case letters, digits or -')),
    title: z.string().check(z.minLength(3)).check(z.maxLength(120)),
    symbol: z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._=^-]{0,31}$/)),
    timeframe: z.literal('1d'),
    inSample: window,
    outOfSample: window,
  })
  .check(z.refine((b) => b.inSample.endDate < b.outOfSample.startDate, { message: 'the out-of-sample window must start after the in-sample window ends' }));

export type Board = z.infer<typeof boardSchema>;

/** Parses the board list; a bad or duplicate board throws at load, so it fails the tests and the cold start alike. */
export function parseBoards(data: readonly unknown[]): readonly Board[] {
  const boards = data.map((raw, i) => {
    const parsed = boardSchema.safeParse(raw);
    if (!parsed.success) throw new Error(`board ${i} is not valid: ${parsed.error.issues.map((x) => `${x.path.join('.')} ${x.message}`).join('; ')}`);
    return parsed.data;
  });
  const ids = new Set<string>();
  for (const b of boards) {
    if (ids.has(b.id)) throw new Error(`board id ${b.id} appears twice`);
    ids.add(b.id);
  }
  return boards;
}

export const BOARDS: readonly Board[] = parseBoards(BOARD_DATA);

export function findBoard(boards: readonly Board[], id: string): Board | undefined {
  return boards.find((b) => b.id === id);
}
