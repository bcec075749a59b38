/**
 * The rows of the Tokens screen. The core lists the tokens present in one
 * order; a token taken out (a custodian's token after authenticating, a card
 * pulled by mistake) would leave the list, and every row after it would move
 * up and take another number while people are pointing at them. So a token
 * seen on this screen keeps its row, marked as taken out, until it is back or
 * the person asks to look for tokens again (which numbers the tokens present
 * afresh).
 */
import type { Output } from '../../../main/api/contract.ts';

type TokenSummary = Output<'token.list'>[number];

export interface TokenRow {
  readonly token: TokenSummary;
  /** False for a token seen earlier on this screen and not listed now. */
  readonly present: boolean;
}

/**
 * The tokens listed now, in the core's order, with each token of the previous
 * rows that is gone put back right after the row it followed. An entry that
 * could not be opened keeps no row: it was a reader's state, not a token.
 * Nor, in a rehearsal, does a real token: a rehearsal started from the window
 * lets the real tokens go, and none of them was taken out by anyone.
 */
export function keepPlaces(previous: readonly TokenRow[], listed: readonly TokenSummary[], inRehearsal = false): TokenRow[] {
  const rows: TokenRow[] = listed.map((token) => ({ token, present: true }));
  let after = -1;
  for (const row of previous) {
    const at = rows.findIndex((r) => r.token.id === row.token.id);
    if (at >= 0) {
      after = at;
      continue;
    }
    if (row.token.error || (inRehearsal && !row.token.virtual)) continue;
    rows.splice(after + 1, 0, { token: row.token, present: false });
    after += 1;
  }
  return rows;
}
