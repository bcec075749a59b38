// ↔ renderer/features/tokens/tokenRows.ts: a token taken out keeps its row, so no row after it moves.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Output } from '../../../../../main/api/contract.ts';
import { keepPlaces, type TokenRow } from '../../../../../renderer/features/tokens/tokenRows.ts';

type TokenSummary = Output<'token.list'>[number];

function token(label: string, extra: Partial<TokenSummary> = {}): TokenSummary {
  return {
    id: `sc-hsm:${label}`, backend: 'sc-hsm', virtual: true, label, serial: label, model: 'SmartCard-HSM', manufacturer: 'x', reader: `Reader of ${label}`,
    pinState: { initialized: true, countLow: false, finalTry: false, locked: false }, loggedIn: false, flags: [], ...extra,
  };
}

const A = token('A'), B = token('B'), C = token('C'), D = token('D');
const shown = (rows: readonly TokenRow[]): string[] => rows.map((r) => `${r.token.label}${r.present ? '' : ' (out)'}`);
const rowsOf = (...tokens: TokenSummary[]): TokenRow[] => keepPlaces([], tokens);

describe('the Tokens screen rows', () => {
  it('keeps a token taken out at its place, so the rows after it keep their numbers', () => {
    assert.deepEqual(shown(keepPlaces(rowsOf(A, B, C, D), [A, C, D])), ['A', 'B (out)', 'C', 'D']);
  });

  it('shows the token present again at that place when it is put back', () => {
    const out = keepPlaces(rowsOf(A, B, C, D), [A, C, D]);
    assert.deepEqual(shown(keepPlaces(out, [A, B, C, D])), ['A', 'B', 'C', 'D']);
  });

  it('keeps the places of the first and the last token, and of two taken out together', () => {
    assert.deepEqual(shown(keepPlaces(rowsOf(A, B, C, D), [C])), ['A (out)', 'B (out)', 'C', 'D (out)']);
  });

  it('puts a token newly listed where the core lists it, beside the tokens taken out', () => {
    const out = keepPlaces(rowsOf(A, C), [C]);
    assert.deepEqual(shown(keepPlaces(out, [B, C, D])), ['A (out)', 'B', 'C', 'D']);
  });

  it('shows the state the core reports now for the tokens present', () => {
    const rows = keepPlaces(rowsOf(A, B), [A, { ...B, loggedIn: true }]);
    assert.equal(rows[1]!.token.loggedIn, true);
  });

  it('keeps no row for a card that could not be opened and is gone', () => {
    const broken = token('Card in Reader 2', { id: 'sc-hsm:unopenable:Reader 2', serial: '', error: { code: 'CARD_ERROR', message: 'cannot be read' } });
    assert.deepEqual(shown(keepPlaces(rowsOf(A, broken), [A])), ['A']);
  });

  it('keeps no row for a real token once a rehearsal has let the real tokens go', () => {
    const real = token('Production HSM', { id: 'pkcs11:prod', backend: 'pkcs11', virtual: false });
    assert.deepEqual(shown(keepPlaces(rowsOf(real), [A, B], true)), ['A', 'B']);
    assert.deepEqual(shown(keepPlaces(rowsOf(real, A), [A], false)), ['Production HSM (out)', 'A'], 'outside a rehearsal it was taken out');
    assert.deepEqual(shown(keepPlaces(rowsOf(A, B), [B], true)), ['A (out)', 'B'], 'a rehearsal token taken out keeps its place');
  });

  it('numbers the tokens present afresh when it starts from no rows (looking for tokens again)', () => {
    assert.deepEqual(shown(keepPlaces([], [A, C, D])), ['A', 'C', 'D']);
  });
});
