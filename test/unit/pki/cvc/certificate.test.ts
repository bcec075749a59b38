import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CARDCONTACT_SRCA, CVC_OID, decodeCvCertificate, decodeCvRequest, decodeCvcChain, encodeAuthenticatedRequest,
  encodeCvCertificate, encodeCvcBody, outerSignedBytes, serialFromDeviceChr, SC_HSM_ROLE_BITS, signCvc, verifyCvcChain, verifyCvcSignature,
} from '../../../../main/pki/cvc/cvc.ts';
import { children, decodeTlv, encodeTlv } from '../../../../main/pki/cvc/tlv.ts';
import { makeDeviceChain, makeKeyGenerationRequest } from '../../../support/cvc-chain.ts';
import { codeOf, ecKey, hex, issue } from './support.ts';

const chain = makeDeviceChain({ srcaChr: 'UTSRCACC100001', dicaChr: 'UTDICA0400001', deviceChr: 'UTNK040414400000' });
const keyRequest = makeKeyGenerationRequest(chain, { curve: 'secp256k1', sequence: 1 });

function replaceOnce(bytes: Uint8Array, from: string, to: string): Uint8Array {
  const h = hex(bytes);
  assert.ok(h.includes(from.toLowerCase()), `fixture lacks ${from}`);
  return Uint8Array.from(Buffer.from(h.replace(from.toLowerCase(), to.toLowerCase()), 'hex'));
}

describe('CV certificate decoding', () => {
  it('reads the CardContact SRCA: holder, issuer, brainpool key with domain parameters, role and dates', () => {
    const c = decodeCvCertificate(CARDCONTACT_SRCA);
    assert.equal(c.body.chr, 'DESRCACC100001');
    assert.equal(c.body.car, 'DESRCACC100001');
    assert.equal(c.body.publicKey.kind, 'ec');
    assert.equal(c.body.publicKey.kind === 'ec' && c.body.publicKey.curve, 'brainpoolP256r1');
    assert.equal(c.body.publicKey.oid, CVC_OID['id-TA-ECDSA-SHA-256']);
    assert.equal(c.body.chat?.roleOid, CVC_OID['id-SC-HSM-role']);
    assert.deepEqual([...c.body.chat!.bits], [0xc0]);
    assert.equal(c.body.effectiveDate?.toISOString().slice(0, 10), '2012-11-09');
    assert.equal(c.body.expirationDate?.toISOString().slice(0, 10), '2032-11-08');
    assert.equal(c.signature.length, 64);
  });

  it('splits an EF 2F02 into the device certificate and its DICA, and derives the OpenSC serial', () => {
    const [device, dica, ...rest] = decodeCvcChain(chain.ef2f02);
    assert.equal(rest.length, 0);
    assert.equal(hex(device!.raw), hex(chain.device.raw));
    assert.equal(hex(dica!.raw), hex(chain.dica.raw));
    assert.equal(device!.body.chr, 'UTNK040414400000');
    assert.equal(device!.body.car, 'UTDICA0400001');
    assert.equal(dica!.body.chr, 'UTDICA0400001');
    assert.equal(dica!.body.car, 'UTSRCACC100001');
    assert.equal(serialFromDeviceChr(device!.body.chr), 'UTNK0404144');
    assert.deepEqual([device!, dica!].map((c) => [c.body.chat?.roleOid, c.body.chat?.bits[0]]),
      [[CVC_OID['id-SC-HSM-role'], SC_HSM_ROLE_BITS.device], [CVC_OID['id-SC-HSM-role'], SC_HSM_ROLE_BITS.dica]]);
    // Device and DICA certificates carry only the point; the curve comes from the SRCA.
    assert.equal(device!.body.publicKey.kind === 'ec' && device!.body.publicKey.withDomainParameters, false);
    assert.equal(device!.body.publicKey.kind === 'ec' && device!.body.publicKey.curve, undefined);
  });

  it('re-encodes decoded bodies byte for byte (CardContact SRCA, DICA, device, key-generation request)', () => {
    const req = decodeCvRequest(keyRequest.raw);
    for (const c of [decodeCvCertificate(CARDCONTACT_SRCA), ...decodeCvcChain(chain.ef2f02), req.inner]) {
      assert.equal(hex(encodeCvcBody(c.body)), hex(c.bodyRaw), c.body.chr);
      assert.equal(hex(encodeCvCertificate(c.bodyRaw, c.signature)), hex(c.raw), c.body.chr);
    }
  });

  it('writes body tags in card order and EC domain parameters as 06 81..87 at full field length', () => {
    const k = ecKey('brainpoolP256r1');
    const cert = decodeCvCertificate(issue({ car: 'UTCA00001', chr: 'UTTEST0000001', key: k.publicKey, keyOid: CVC_OID['id-TA-ECDSA-SHA-256'], withDomainParameters: true, signer: k.privateKey, signOid: CVC_OID['id-TA-ECDSA-SHA-256'] }).raw);
    const body = children(decodeTlv(cert.bodyRaw));
    assert.deepEqual(body.map((t) => t.tag), [0x5f29, 0x42, 0x7f49, 0x5f20, 0x7f4c, 0x5f25, 0x5f24]);
    const key = children(body[2]!);
    assert.deepEqual(key.map((t) => t.tag), [0x06, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87]);
    assert.deepEqual(key.slice(1, 4).map((t) => t.value.length), [32, 32, 32]);
    assert.equal(key[5]!.value.length, 32);
  });

  it('writes an EC key without domain parameters as 06 and 86 only', () => {
    const k = ecKey('P-256');
    const cert = decodeCvCertificate(issue({ car: 'UTCA00001', chr: 'UTTEST0000001', key: k.publicKey, keyOid: CVC_OID['id-TA-ECDSA-SHA-256'], withDomainParameters: false, signer: k.privateKey, signOid: CVC_OID['id-TA-ECDSA-SHA-256'] }).raw);
    const key = children(children(decodeTlv(cert.bodyRaw))[2]!);
    assert.deepEqual(key.map((t) => t.tag), [0x06, 0x86]);
  });

  it('writes P-521 coefficient a at the full 66-byte field length', () => {
    const k = ecKey('P-521');
    const cert = decodeCvCertificate(issue({ car: 'UTCA00001', chr: 'UTTEST0000001', key: k.publicKey, keyOid: CVC_OID['id-TA-ECDSA-SHA-512'], withDomainParameters: true, signer: k.privateKey, signOid: CVC_OID['id-TA-ECDSA-SHA-512'] }).raw);
    const key = children(children(decodeTlv(cert.bodyRaw))[2]!);
    assert.equal(key[2]!.value.length, 66);
    assert.equal(verifyCvcSignature(cert.bodyRaw, cert.signature, cert.body.publicKey), true);
  });
});

describe('CV request decoding', () => {
  it('reads an authenticated key-generation request and verifies its inner signature and, with the device key, its outer one', () => {
    const req = decodeCvRequest(keyRequest.raw);
    assert.equal(req.inner.body.chr, 'UTNK040414400001');
    assert.equal(req.inner.body.car, 'UTCA00001');
    assert.equal(req.outerCar, 'UTNK040414400000');
    assert.equal(req.inner.body.publicKey.kind === 'ec' && req.inner.body.publicKey.curve, 'secp256k1');
    assert.equal(verifyCvcSignature(req.inner.bodyRaw, req.inner.signature, req.inner.body.publicKey), true);
    assert.equal(hex(req.outerSignedRaw!), hex(outerSignedBytes(req.inner.raw, req.outerCar!)));
    const deviceKey = verifyCvcChain(decodeCvcChain(chain.ef2f02), [chain.srca]).publicKey;
    assert.equal(verifyCvcSignature(req.outerSignedRaw!, req.outerSignature!, deviceKey), true);
    assert.equal(verifyCvcSignature(req.outerSignedRaw!, req.outerSignature!, req.inner.body.publicKey), false);
  });

  it('builds an authenticated request whose outer signature covers inner 7F21 || 42', () => {
    const key = ecKey('P-256');
    const device = ecKey('brainpoolP256r1');
    const inner = issue({ car: 'UTCA00001', chr: 'UTDEVICE000001', key: key.publicKey, keyOid: CVC_OID['id-TA-ECDSA-SHA-256'], withDomainParameters: true, signer: key.privateKey, signOid: CVC_OID['id-TA-ECDSA-SHA-256'], dates: false });
    const signed = outerSignedBytes(inner.raw, 'UTDEVICE000000');
    const request = encodeAuthenticatedRequest(inner.raw, 'UTDEVICE000000', signCvc(signed, device.privateKey, CVC_OID['id-TA-ECDSA-SHA-256']));
    const req = decodeCvRequest(request);
    assert.equal(req.outerCar, 'UTDEVICE000000');
    assert.equal(hex(req.outerSignedRaw!), hex(signed));
    const deviceKey = issue({ car: 'UTDEVICE000000', chr: 'UTDEVICE000000', key: device.publicKey, keyOid: CVC_OID['id-TA-ECDSA-SHA-256'], withDomainParameters: true, signer: device.privateKey, signOid: CVC_OID['id-TA-ECDSA-SHA-256'] }).body.publicKey;
    assert.equal(verifyCvcSignature(req.outerSignedRaw!, req.outerSignature!, deviceKey), true);
    assert.equal(verifyCvcSignature(req.outerSignedRaw!, req.outerSignature!, req.inner.body.publicKey), false);
  });

  it('accepts a plain 7F21 request and refuses other outer tags', () => {
    const plain = decodeCvRequest(CARDCONTACT_SRCA);
    assert.equal(plain.outerCar, undefined);
    assert.equal(codeOf(() => decodeCvRequest(encodeTlv(0x30, [CARDCONTACT_SRCA]))), 'CVC_MALFORMED');
    assert.equal(codeOf(() => decodeCvRequest(encodeTlv(0x67, [CARDCONTACT_SRCA]))), 'CVC_MALFORMED');
  });
});

describe('CV certificate decoding refuses what it does not fully understand', () => {
  const srca = CARDCONTACT_SRCA;
  const cases: [string, () => Uint8Array, string][] = [
    ['a truncated certificate', () => srca.subarray(0, srca.length - 1), 'TLV_TRUNCATED'],
    ['a byte after the certificate', () => Uint8Array.of(...srca, 0x00), 'TLV_TRAILING_BYTES'],
    ['a profile identifier other than 00', () => replaceOnce(srca, '5f290100', '5f290101'), 'CVC_MALFORMED'],
    ['an unknown body tag', () => replaceOnce(srca, '5f290100', '5f2a0100'), 'CVC_MALFORMED'],
    ['a date digit above 9', () => replaceOnce(srca, '5f2506010201010009', '5f250601020101000a'), 'CVC_DATE_INVALID'],
    ['an impossible date (month 13)', () => replaceOnce(srca, '5f2506010201010009', '5f2506010103010009'), 'CVC_DATE_INVALID'],
    ['a non-printable CHR', () => replaceOnce(srca, '5f200e444553', '5f200e441b53'), 'CVC_HOLDER_REFERENCE_INVALID'],
    ['an unknown algorithm OID', () => replaceOnce(srca, '060a04007f00070202020203', '060a04007f00070202020209'), 'CVC_OID_UNKNOWN'],
    ['domain parameters of no known curve', () => replaceOnce(srca, '8120a9fb57dba1', '8120a9fb57dba2'), 'CVC_MALFORMED'],
    ['a base point that differs from the curve', () => replaceOnce(srca, '8441048bd2', '8441048bd3'), 'CVC_MALFORMED'],
    ['the signature missing', () => { const c = decodeCvCertificate(srca); return encodeTlv(0x7f21, [c.bodyRaw]); }, 'CVC_MALFORMED'],
    ['a third element in 7F21', () => { const c = decodeCvCertificate(srca); return encodeTlv(0x7f21, [c.bodyRaw, encodeTlv(0x5f37, c.signature), encodeTlv(0x42, Uint8Array.of(0x41))]); }, 'CVC_MALFORMED'],
    ['a repeated CHR', () => { const b = children(decodeTlv(decodeCvCertificate(srca).bodyRaw)); return encodeTlv(0x7f21, [encodeTlv(0x7f4e, [...b.slice(0, 4).map((t) => t.raw), b[3]!.raw, ...b.slice(4).map((t) => t.raw)]), encodeTlv(0x5f37, Uint8Array.of(1))]); }, 'CVC_MALFORMED'],
    ['fields out of card order', () => { const b = children(decodeTlv(decodeCvCertificate(srca).bodyRaw)); return encodeTlv(0x7f21, [encodeTlv(0x7f4e, [b[1]!.raw, b[0]!.raw, ...b.slice(2).map((t) => t.raw)]), encodeTlv(0x5f37, Uint8Array.of(1))]); }, 'CVC_MALFORMED'],
    ['a certificate of another outer tag', () => encodeTlv(0x7f4e, [Uint8Array.of(0x5f, 0x29, 1, 0)]), 'CVC_MALFORMED'],
  ];
  for (const [what, make, code] of cases) {
    it(`refuses ${what} with ${code}`, () => {
      assert.equal(codeOf(() => decodeCvCertificate(make())), code);
    });
  }

  it('refuses an empty EF 2F02 and one that holds a non-certificate', () => {
    assert.equal(codeOf(() => decodeCvcChain(new Uint8Array())), 'CVC_MALFORMED');
    assert.equal(codeOf(() => decodeCvcChain(Uint8Array.of(...chain.ef2f02, 0x42, 0x01, 0x41))), 'CVC_MALFORMED');
  });

  it('refuses to encode a CHR shorter than 8 characters', () => {
    const c = decodeCvCertificate(CARDCONTACT_SRCA);
    assert.equal(codeOf(() => encodeCvcBody({ ...c.body, chr: 'DE00001' })), 'INPUT_INVALID');
  });
});
