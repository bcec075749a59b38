/**
 * Reading EF 2F02 of cards that are not CardContact's: the layouts pico-hsm
 * writes (a 67 request and a self-issued 7F21, or the 7F21 alone in later
 * versions), with EC domain parameters as mbedtls writes them. Such a card is
 * identified by its device key and marked as attested by no known root.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey } from 'node:crypto';
import { verifyDeviceCertificates } from '../../../../main/hsm/sc-hsm/device.ts';
import { createDeviceIdentity, createForeignDeviceIdentity } from '../../../../main/hsm/virtual/attestation.ts';
import { decodeTlvList } from '../../../../main/pki/cvc/tlv.ts';
import { isCustosError } from '../../../../main/errors/index.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const spkiSha256 = (key: Parameters<typeof createPublicKey>[0]): string =>
  createHash('sha256').update(createPublicKey(key).export({ type: 'spki', format: 'der' })).digest('hex');

describe('device identity from EF 2F02', () => {
  for (const curve of ['P-256', 'secp256k1'] as const) {
    it(`identifies a pico-hsm-style card on ${curve} (67 request, then self-issued 7F21) as not attested, by its device key`, () => {
      const foreign = createForeignDeviceIdentity({ curve });
      assert.deepEqual(decodeTlvList(foreign.deviceCertificates).map((t) => t.tag), [0x67, 0x7f21]);
      const identity = verifyDeviceCertificates(foreign.deviceCertificates);
      assert.equal(identity.attestation, 'none');
      assert.equal(identity.deviceChr, 'ESPICOHSMTR00001');
      assert.equal(identity.serial, 'ESPICOHSMTR');
      assert.equal(identity.devicePublicKey.kind === 'ec' && identity.devicePublicKey.curve, curve);
      assert.equal(identity.deviceKeySha256, spkiSha256(foreign.deviceKey));
    });
  }

  it('reads domain parameters written as mbedtls writes them: P-256 with an empty a, secp256k1 with a = 00 and b = 07', () => {
    assert.match(hex(createForeignDeviceIdentity({ curve: 'P-256' }).deviceCertificates), /82008320/);
    assert.match(hex(createForeignDeviceIdentity({ curve: 'secp256k1' }).deviceCertificates), /820100830107/);
  });

  it('identifies a card whose EF 2F02 holds the self-issued 7F21 alone (pico-hsm after v6.6)', () => {
    const foreign = createForeignDeviceIdentity();
    const [, selfIssued] = decodeTlvList(foreign.deviceCertificates);
    const identity = verifyDeviceCertificates(selfIssued!.raw);
    assert.equal(identity.attestation, 'none');
    assert.equal(identity.deviceKeySha256, spkiSha256(foreign.deviceKey));
  });

  it('tells apart two such cards by their device keys, though they show one serial', () => {
    const [a, b] = [createForeignDeviceIdentity(), createForeignDeviceIdentity()].map((f) => verifyDeviceCertificates(f.deviceCertificates));
    assert.equal(a!.serial, b!.serial);
    assert.notEqual(a!.deviceKeySha256, b!.deviceKeySha256);
  });

  it('refuses a self-issued device certificate that does not verify with its own key', () => {
    const [, selfIssued] = decodeTlvList(createForeignDeviceIdentity().deviceCertificates);
    const damaged = Uint8Array.from(selfIssued!.raw);
    damaged[damaged.length - 1]! ^= 0x01;
    assert.throws(() => verifyDeviceCertificates(damaged), (e) => isCustosError(e) && e.code === 'CVC_SIGNATURE_INVALID');
  });

  it('still attests a virtual card to the virtual root, with its device key', () => {
    const card = createDeviceIdentity();
    const identity = verifyDeviceCertificates(card.deviceCertificates);
    assert.equal(identity.attestation, 'virtual');
    assert.equal(identity.deviceKeySha256, spkiSha256(card.deviceKey));
  });
});
