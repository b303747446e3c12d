/**
 * A submit body handed from one view to the submit form (the leaderboard's Copy button): views never touch each
 * other's DOM, so the board view leaves the body here and navigates; the form takes it once when it mounts.
 */
import type { SubmitBody } from '../../client/types.ts';

let pending: { body: SubmitBody; source: string } | undefined;

export function setPrefill(body: SubmitBody, source: string): void {
  pending = { body, source };
}

/** The body left for the form, once: a later visit to the form starts from its defaults again. */
export function takePrefill(): { body: SubmitBody; source: string } | undefined {
  const taken = pending;
  pending = undefined;
  return taken;
}
