import type { Tier } from '../../client/types.ts';
import { EXIT, UsageError } from '../errors.ts';
import { queuesTable, userText } from '../format.ts';
import type { Output } from '../output.ts';
import { openSession } from '../session.ts';
import type { ConnectionOptions } from '../target.ts';

const TIERS: readonly Tier[] = ['free', 'basic', 'pro'];

/**
 * `backtest admin queues [--watch]`: per tier waiting, in flight, DLQ depth, oldest age. With --watch it refreshes
 * until Ctrl-C: in place on a terminal, a new table (or one JSON line) per refresh otherwise.
 */
export async function adminQueuesCommand(options: ConnectionOptions & { watch?: boolean; interval?: string }, out: Output): Promise<number> {
  const intervalS = options.interval === undefined ? 2 : Number(options.interval);
  if (!Number.isFinite(intervalS) || intervalS < 0.5 || intervalS > 3600) throw new UsageError('--interval must be a number of seconds from 0.5 to 3600.');
  const session = await openSession(options, out, { admin: true });
  const show = async (previousLines: number): Promise<number> => {
    const view = await session.call(session.api.adminQueues());
    if (out.json) {
      out.data(view);
      return 0;
    }
    const text = queuesTable(view);
    // Cursor up over the last table and clear to the end of the screen, so the table stays put.
    if (out.tty && previousLines > 0) out.stdout.write(`\x1b[${previousLines}A\x1b[0J`);
    out.line(text);
    return text.split('\n').length;
  };
  let lines = await show(0);
  if (!options.watch) return EXIT.ok;
  if (!out.tty) out.line();
  return new Promise<number>((resolve, reject) => {
    let timer: NodeJS.Timeout;
    const stop = (): void => {
      clearTimeout(timer);
      process.off('SIGINT', stop);
      resolve(EXIT.ok);
    };
    process.on('SIGINT', stop);
    const tick = (): void => {
      timer = setTimeout(() => {
        show(out.tty ? lines : 0).then(
          (n) => {
            lines = n;
            if (!out.tty && !out.json) out.line();
            tick();
          },
          (error: unknown) => {
            process.off('SIGINT', stop);
            reject(error);
          },
        );
      }, intervalS * 1000);
    };
    tick();
  });
}

export async function adminUserCommand(userId: string, options: ConnectionOptions, out: Output): Promise<number> {
  const session = await openSession(options, out, { admin: true });
  const user = await session.call(session.api.adminUser(userId), `user ${userId}`);
  if (out.json) out.data(user);
  else out.line(userText(user));
  return EXIT.ok;
}

export async function adminCreditsCommand(userId: string, amountText: string, options: ConnectionOptions, out: Output): Promise<number> {
  const amount = Number(amountText);
  // Only "is it a number" here; the API's rules (whole, not 0, bounded) come back naming the field.
  if (amountText.trim() === '' || !Number.isFinite(amount)) throw new UsageError(`The amount ${JSON.stringify(amountText)} is not a number of credits (negative takes credits away).`);
  const session = await openSession(options, out, { admin: true });
  const granted = await session.call(session.api.adminCredits(userId, amount), `user ${userId}`);
  if (out.json) out.data(granted);
  else out.line(`${userId}: ${amount > 0 ? `granted ${amount}` : `took ${-amount}`} credit${Math.abs(amount) === 1 ? '' : 's'}, now ${granted.credits}`);
  return EXIT.ok;
}

export async function adminTierCommand(userId: string, tier: string, options: ConnectionOptions, out: Output): Promise<number> {
  if (!TIERS.includes(tier as Tier)) throw new UsageError(`The tier must be one of ${TIERS.join(', ')}, not ${JSON.stringify(tier)}.`);
  const session = await openSession(options, out, { admin: true });
  const changed = await session.call(session.api.adminTier(userId, tier as Tier), `user ${userId}`);
  if (out.json) out.data(changed);
  else {
    out.line(`${userId}: tier ${changed.previousTier} -> ${changed.tier}`);
    if (session.target.tokenSource !== 'local') out.note('the user\'s current token still carries the old tier until it is renewed');
  }
  return EXIT.ok;
}

