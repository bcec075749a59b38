// ↔ renderer/features/ceremony/step-pins.ts: what a step's PIN fields send, and when the step is held back.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { finalTryUnconfirmed, pinsToSend } from '../../../../../renderer/features/ceremony/step-pins.ts';

const token = (id: string, finalTry: boolean) => ({ id, pinState: { finalTry } }) as unknown as Parameters<typeof finalTryUnconfirmed>[1][number];

describe('the PINs of the HSMs a ceremony step opens', () => {
  it('sends one PIN per HSM typed, none for a field left empty, and the final try only where it was ticked', () => {
    assert.deepEqual(pinsToSend({
      primary: { pin: '648219', confirmFinalTry: false }, backup: { pin: '123456', confirmFinalTry: true }, spare: { pin: '', confirmFinalTry: true },
    }), [{ tokenId: 'primary', pin: '648219' }, { tokenId: 'backup', pin: '123456', confirmFinalTry: true }]);
  });

  it('holds the step back while a PIN is typed for an HSM on its final try without the tick', () => {
    const tokens = [token('primary', false), token('backup', true)];
    assert.equal(finalTryUnconfirmed({ backup: { pin: '123456', confirmFinalTry: false } }, tokens), true);
    assert.equal(finalTryUnconfirmed({ backup: { pin: '123456', confirmFinalTry: true } }, tokens), false);
    // Nothing typed for it: nothing is spent, nothing to confirm.
    assert.equal(finalTryUnconfirmed({ backup: { pin: '', confirmFinalTry: false }, primary: { pin: '648219', confirmFinalTry: false } }, tokens), false);
  });
});
