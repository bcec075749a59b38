/**
 * Custodian registration files on the host (main/hsm/sc-hsm/pka.ts): both
 * forms OpenSC reads, and the hostile or damaged files that must be refused
 * with their own code before anything reaches the CA HSM. The custodian keys
 * are made by virtual SmartCard-HSMs, as a custodian's token makes them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCustosError } from '../../../../main/errors/index.ts';
import { decodeRegistrationFile, examineCustodianKey, registerCustodianKey } from '../../../../main/hsm/sc-hsm/pka.ts';
import { ScHsmCard } from '../../../../main/hsm/sc-hsm/card.ts';
import { InProcessTransport } from '../../../../main/hsm/sc-hsm/inprocess-transport.ts';
import type { ApduTransport } from '../../../../main/hsm/sc-hsm/transport.ts';
import { VirtualCard } from '../../../../main/hsm/virtual/card.ts';
import { Secret } from '../../../../main/secret.ts';
import { decodeCvcChain } from '../../../../main/pki/cvc/cvc.ts';
import { children, decodeTlv, encodeTlv } from '../../../../main/pki/cvc/tlv.ts';
import { createCustodian, type Custodian } from '../virtual/custodian.ts';

/** 1.3.6.1.4.1.24991.4.3.1, CardContact's .pka file. */
const PKA_FILE_OID = Uint8Array.from([0x2b, 0x06, 0x01, 0x04, 0x01, 0x81, 0xc3, 0x1f, 0x04, 0x03, 0x01]);

const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return isCustosError(e) ? e.code : `not a CustosError: ${String(e)}`;
  }
  return 'no error';
};

/** CardContact's newer form: 30 { 06 OID, 61 { DICA }, 62 { device }, 63 { request } }. */
function newForm(c: Custodian, oid = PKA_FILE_OID, omit?: number): Uint8Array {
  const [device, dica] = decodeCvcChain(c.deviceCertificates);
  const parts: [number, Uint8Array][] = [[0x61, dica!.raw], [0x62, device!.raw], [0x63, c.request]];
  return encodeTlv(0x30, [encodeTlv(0x06, oid), ...parts.filter(([tag]) => tag !== omit).map(([tag, v]) => encodeTlv(tag, v))]);
}

describe('custodian registration files', () => {
  let dir: string;
  let alice: Custodian;
  let bob: Custodian;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'custos-pka-file-'));
    alice = await createCustodian(dir, 'alice');
    bob = await createCustodian(dir, 'bob');
  });

  after(async () => {
    await alice.card.close();
    await bob.card.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the sc-hsm-tool export and finds the key attested by the virtual root, on brainpoolP256r1, with its CHR', () => {
    const candidate = examineCustodianKey(decodeRegistrationFile(alice.exportFile));
    assert.deepEqual([candidate.chr, candidate.curve, candidate.attestation], [alice.chr, 'brainpoolP256r1', 'virtual']);
    assert.equal(candidate.deviceChr, alice.card.deviceChr);
  });

  it('reads CardContact\'s newer .pka form (61 DICA, 62 device, 63 request) as the same key and device', () => {
    assert.deepEqual(decodeRegistrationFile(newForm(alice)), decodeRegistrationFile(alice.exportFile));
  });

  it('refuses a file too large to be one, one that is no SEQUENCE, and one of another format, each with its own code', () => {
    assert.equal(codeOf(() => decodeRegistrationFile(new Uint8Array(16 * 1024 + 1))), 'FILE_TOO_LARGE');
    assert.equal(codeOf(() => decodeRegistrationFile(new TextEncoder().encode('-----BEGIN CERTIFICATE-----'))), 'FORMAT_UNKNOWN');
    assert.equal(codeOf(() => decodeRegistrationFile(newForm(alice, Uint8Array.of(0x2a, 0x03)))), 'FORMAT_UNKNOWN');
  });

  it('refuses a truncated file, one without the device certificates, and a newer-form file lacking its request', () => {
    assert.equal(codeOf(() => decodeRegistrationFile(alice.exportFile.subarray(0, alice.exportFile.length - 40))), 'CVC_MALFORMED');
    assert.equal(codeOf(() => decodeRegistrationFile(encodeTlv(0x30, [alice.request]))), 'CVC_MALFORMED');
    assert.equal(codeOf(() => decodeRegistrationFile(newForm(alice, PKA_FILE_OID, 0x63))), 'CVC_MALFORMED');
  });

  it('refuses a request whose device signature was tampered with', () => {
    const request = Buffer.from(alice.request);
    request[request.length - 1]! ^= 0x01;
    assert.equal(codeOf(() => examineCustodianKey({ request, deviceCertificates: alice.deviceCertificates })), 'CVC_SIGNATURE_INVALID');
  });

  it('refuses a request presented with another custodian\'s device certificates', () => {
    assert.equal(codeOf(() => examineCustodianKey({ request: alice.request, deviceCertificates: bob.deviceCertificates })), 'CVC_SIGNATURE_INVALID');
  });

  it('refuses a key whose holder reference is shorter than 8 characters, with its own code (CVC_HOLDER_REFERENCE_INVALID), before any signature is checked', () => {
    // The request rebuilt around a 7-character CHR: 67 { 7F21 { 7F4E { …, 5F20 }, 5F37 }, 42, 5F37 }.
    const outer = children(decodeTlv(alice.request));
    const cvc = children(outer[0]!);
    const body = children(cvc[0]!).map((t) => (t.tag === 0x5f20 ? encodeTlv(0x5f20, new TextEncoder().encode('UTSHORT')) : t.raw));
    const request = encodeTlv(0x67, [encodeTlv(0x7f21, [encodeTlv(0x7f4e, body), cvc[1]!.raw]), ...outer.slice(1).map((t) => t.raw)]);
    assert.equal(codeOf(() => examineCustodianKey({ request, deviceCertificates: alice.deviceCertificates })), 'CVC_HOLDER_REFERENCE_INVALID');
  });
});

/**
 * MOCK, named as such: a stand-in for SmartCard-HSM firmware that ignores P1
 * of MANAGE PKA and answers every 80 54 with its 4-byte status. No such card
 * can run here; the real virtual card answers behind it for everything else.
 */
function ignoresP1OfManagePka(inner: ApduTransport): ApduTransport {
  return {
    maxApduBytes: inner.maxApduBytes, readerName: inner.readerName, close: () => inner.close(),
    async transmit(apdu) {
      if (apdu[1] === 0x54 && apdu[2] === 0x02) return inner.transmit(Uint8Array.of(0x80, 0x54, 0x00, 0x00, 0x04));
      return inner.transmit(apdu);
    },
  };
}

describe('the registered custodian keys as the card lists them (MANAGE PKA 02)', () => {
  let dir: string;
  let hsm: VirtualCard;
  let alice: Custodian;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'custos-pka-list-'));
    alice = await createCustodian(dir, 'alice');
    hsm = await VirtualCard.create(join(dir, 'hsm.state'));
    const card = await ScHsmCard.open(new InProcessTransport(hsm, { ownsCard: false }));
    await card.initialize({ soPin: Secret.fromString('3537363231383830'), pin: Secret.fromString('648219'), pka: { total: 2, required: 2 } });
    await card.verifyPin(Secret.fromString('648219'));
    await registerCustodianKey(card, decodeRegistrationFile(alice.exportFile));
    await card.close();
  });

  after(async () => {
    await alice.card.close();
    await hsm.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the one registered key by its CHR, not yet authenticated', async () => {
    const card = await ScHsmCard.open(new InProcessTransport(hsm, { ownsCard: false }));
    assert.deepEqual(await card.registeredPkaKeys(2), [{ chr: alice.chr, authenticated: false }]);
    await card.close();
  });

  it('gives no list, rather than a list of garbage, when the card answers its status instead', async () => {
    const card = await ScHsmCard.open(ignoresP1OfManagePka(new InProcessTransport(hsm, { ownsCard: false })));
    assert.equal(await card.registeredPkaKeys(2), undefined);
    await card.close();
  });
});
