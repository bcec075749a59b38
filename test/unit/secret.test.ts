import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { Secret } from '../../main/secret.ts';

describe('Secret', () => {
  it('never shows its value in strings, JSON or inspect output', () => {
    const pin = Secret.fromString('648219');
    const shown = [String(pin), JSON.stringify({ pin }), inspect(pin), `${pin}`];
    for (const s of shown) assert.ok(!s.includes('648219'), s);
    assert.equal(pin.reveal(), '648219');
  });
  it('is empty after wipe', () => {
    const pin = Secret.fromString('123456');
    pin.wipe();
    assert.notEqual(pin.reveal(), '123456');
  });
});
