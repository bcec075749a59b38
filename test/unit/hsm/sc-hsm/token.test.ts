import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as asn1js from 'asn1js';
import { pinStateOf, tokenInfoLabel } from '../../../../main/hsm/sc-hsm/token.ts';
import { versionFromFcp } from '../../../../main/hsm/sc-hsm/card.ts';
import { isCustosError } from '../../../../main/errors/index.ts';

describe('tokenInfoLabel', () => {
  it('reads label [0] from a PKCS#15 TokenInfo and nothing from one without it', () => {
    const withLabel = new asn1js.Sequence({ value: [
      new asn1js.Integer({ value: 0 }),
      new asn1js.OctetString({ valueHex: Uint8Array.of(1, 2, 3).buffer }),
      new asn1js.Utf8String({ value: 'www.CardContact.de' }),
      new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 }, valueHex: new TextEncoder().encode('Root CA HSM 1').buffer as ArrayBuffer }),
      new asn1js.BitString({ valueHex: Uint8Array.of(0).buffer, unusedBits: 0 }),
    ] }).toBER();
    assert.equal(tokenInfoLabel(new Uint8Array(withLabel)), 'Root CA HSM 1');
    const without = new asn1js.Sequence({ value: [new asn1js.Integer({ value: 0 }), new asn1js.OctetString({ valueHex: Uint8Array.of(1).buffer })] }).toBER();
    assert.equal(tokenInfoLabel(new Uint8Array(without)), undefined);
    assert.equal(tokenInfoLabel(Uint8Array.of(0xff, 0x00)), undefined);
  });
});

describe('pinStateOf', () => {
  it('marks the final try at one left and a locked PIN at zero', () => {
    assert.deepEqual(pinStateOf({ initialized: true, verified: false, blocked: false, transportPin: false, triesLeft: 1 }),
      { initialized: true, countLow: true, finalTry: true, locked: false, triesLeft: 1 });
    assert.equal(pinStateOf({ initialized: true, verified: false, blocked: true, transportPin: false, triesLeft: 0 }).locked, true);
    assert.equal(pinStateOf({ initialized: true, verified: false, blocked: false, transportPin: false, triesLeft: 3 }).countLow, false);
  });
});

describe('versionFromFcp', () => {
  it('takes major and minor from the last two bytes of tag 85, as OpenSC does', () => {
    // pico-hsm's layout: 85 05 <options hi> <options lo> FF <major> <minor> (SC-HSM.md §1.3).
    const good = Uint8Array.from(Buffer.from('620a8a0105' + '85050001ff0306', 'hex'));
    assert.deepEqual(versionFromFcp(good), { major: 3, minor: 6 });
    assert.throws(() => versionFromFcp(Uint8Array.from(Buffer.from('62038a0105', 'hex'))), (e) => isCustosError(e) && e.code === 'TOKEN_NOT_FOUND');
  });
});
