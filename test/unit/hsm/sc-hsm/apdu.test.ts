import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeCommandApdu, exchangeApdu, isExtended, parseResponseApdu } from '../../../../main/hsm/sc-hsm/apdu.ts';
import type { ApduTransport } from '../../../../main/hsm/sc-hsm/transport.ts';
import { isCustosError } from '../../../../main/errors/index.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (n: number, fill = 0xab): Uint8Array => new Uint8Array(n).fill(fill);

describe('encodeCommandApdu', () => {
  it('encodes case 1 as the bare header', () => {
    assert.equal(hex(encodeCommandApdu({ cla: 0, ins: 0x20, p1: 0, p2: 0x81 })), '00200081');
  });

  it('encodes case 2 short with Le 00 meaning 256', () => {
    assert.equal(hex(encodeCommandApdu({ cla: 0, ins: 0x84, p1: 0, p2: 0, ne: 8 })), '0084000008');
    assert.equal(hex(encodeCommandApdu({ cla: 0, ins: 0x84, p1: 0, p2: 0, ne: 256 })), '0084000000');
  });

  it('encodes case 3 and case 4 short', () => {
    assert.equal(hex(encodeCommandApdu({ cla: 0, ins: 0x20, p1: 0, p2: 0x81, data: Uint8Array.of(0x31, 0x32) })), '00200081023132');
    assert.equal(hex(encodeCommandApdu({ cla: 0, ins: 0xa4, p1: 4, p2: 0, data: Uint8Array.of(0xe8), ne: 256 })), '00a4040001e800');
  });

  it('stays short at Lc 255 and Ne 256 and turns extended at Lc 256 or Ne 257', () => {
    const lc255 = encodeCommandApdu({ cla: 0x80, ins: 0x68, p1: 1, p2: 0x20, data: bytes(255), ne: 256 });
    assert.equal(lc255.length, 4 + 1 + 255 + 1);
    assert.equal(lc255[4], 255);
    const lc256 = encodeCommandApdu({ cla: 0x80, ins: 0x68, p1: 1, p2: 0x20, data: bytes(256), ne: 256 });
    assert.equal(lc256.length, 4 + 3 + 256 + 2);
    assert.equal(hex(lc256.subarray(4, 7)), '000100');
    assert.equal(hex(lc256.subarray(-2)), '0100');
    const ne257 = encodeCommandApdu({ cla: 0x80, ins: 0x58, p1: 0, p2: 0, ne: 257 });
    assert.equal(hex(ne257), '80580000000101');
    assert.equal(isExtended({ cla: 0, ins: 0, p1: 0, p2: 0, data: bytes(255), ne: 256 }), false);
    assert.equal(isExtended({ cla: 0, ins: 0, p1: 0, p2: 0, ne: 257 }), true);
  });

  it('encodes extended case 2 with Le 0000 meaning 65536, and case 3 without Le', () => {
    assert.equal(hex(encodeCommandApdu({ cla: 0x80, ins: 0x72, p1: 3, p2: 0x92, ne: 65536 })), '80720392000000');
    const c3 = encodeCommandApdu({ cla: 0x80, ins: 0x74, p1: 3, p2: 0x93, data: bytes(1100) });
    assert.equal(c3.length, 4 + 3 + 1100);
    assert.equal(hex(c3.subarray(4, 7)), '00044c');
  });

  it('refuses data that no APDU can carry and bytes out of range', () => {
    assert.throws(() => encodeCommandApdu({ cla: 0, ins: 0, p1: 0, p2: 0, data: bytes(65536) }), (e) => isCustosError(e) && e.code === 'APDU_TOO_LONG');
    assert.throws(() => encodeCommandApdu({ cla: 0, ins: 0, p1: 256, p2: 0 }), (e) => isCustosError(e) && e.code === 'APDU_MALFORMED');
    assert.throws(() => encodeCommandApdu({ cla: 0, ins: 0, p1: 0, p2: 0, ne: 65537 }), (e) => isCustosError(e) && e.code === 'APDU_MALFORMED');
  });
});

describe('parseResponseApdu', () => {
  it('splits data from the status word', () => {
    const r = parseResponseApdu(Uint8Array.of(1, 2, 3, 0x90, 0x00));
    assert.equal(hex(r.data), '010203');
    assert.equal(r.sw, 0x9000);
  });

  it('refuses a response shorter than a status word', () => {
    assert.throws(() => parseResponseApdu(Uint8Array.of(0x90)), (e) => isCustosError(e) && e.code === 'APDU_MALFORMED');
  });
});

/** A scripted card: the only fake here, because a card that answers 61xx/6Cxx on demand does not exist. */
function scripted(answers: (apdu: Uint8Array) => Uint8Array, maxApduBytes = 65544): ApduTransport & { sent: string[] } {
  const sent: string[] = [];
  return {
    sent, maxApduBytes, readerName: 'scripted',
    transmit: async (apdu) => { sent.push(hex(apdu)); return answers(apdu); },
    close: async () => {},
  };
}

describe('exchangeApdu', () => {
  it('collects 61xx answers with GET RESPONSE until 9000', async () => {
    let round = 0;
    const t = scripted(() => {
      round += 1;
      if (round === 1) return Uint8Array.of(1, 2, 0x61, 0x00);
      if (round === 2) return Uint8Array.of(...bytes(256, 3), 0x61, 0x02);
      return Uint8Array.of(4, 5, 0x90, 0x00);
    });
    const r = await exchangeApdu(t, { cla: 0x80, ins: 0x58, p1: 0, p2: 0, ne: 256 });
    assert.equal(r.sw, 0x9000);
    assert.equal(r.data.length, 2 + 256 + 2);
    assert.deepEqual(t.sent.slice(1), ['00c0000000', '00c0000002']);
  });

  it('repeats a short command with the Le the card asks for on 6Cxx', async () => {
    const t = scripted((apdu) => (apdu[4] === 0x10 ? Uint8Array.of(...bytes(16, 7), 0x90, 0x00) : Uint8Array.of(0x6c, 0x10)));
    const r = await exchangeApdu(t, { cla: 0, ins: 0xb0, p1: 0, p2: 0, ne: 256 });
    assert.equal(r.data.length, 16);
    assert.deepEqual(t.sent, ['00b0000000', '00b0000010']);
  });

  it('refuses an APDU longer than the reader carries instead of sending part of it', async () => {
    const t = scripted(() => Uint8Array.of(0x90, 0x00), 261);
    await assert.rejects(exchangeApdu(t, { cla: 0x80, ins: 0x74, p1: 1, p2: 0x93, data: bytes(600) }),
      (e) => isCustosError(e) && e.code === 'APDU_TOO_LONG' && e.details['maxApduBytes'] === 261);
    assert.equal(t.sent.length, 0);
  });
});
