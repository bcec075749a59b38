import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CARDCONTACT_SRCA, CARDCONTACT_SRCA_CHR, CVC_OID, cvcPublicKeyFromKeyObject, decodeCvCertificate, decodeCvcChain, verifyCvcChain,
} from '../../../../main/pki/cvc/cvc.ts';
import { makeDeviceChain } from '../../../support/cvc-chain.ts';
import { codeOf, ecKey, hex, issue, rsaKey } from './support.ts';

const srca = decodeCvCertificate(CARDCONTACT_SRCA);
// A card-shaped attestation chain under a root made here: CardContact signs no test data.
const chain = makeDeviceChain({ srcaChr: 'UTSRCACC100001', dicaChr: 'UTDICA0400001', deviceChr: 'UTNK040414400000' });

function patched(bytes: Uint8Array, from: string, to: string): Uint8Array {
  const h = hex(bytes);
  assert.ok(h.includes(from));
  return Uint8Array.from(Buffer.from(h.replace(from, to), 'hex'));
}

describe('verifyCvcChain', () => {
  it('accepts the CardContact SRCA as a self-signed trust anchor', () => {
    const r = verifyCvcChain([srca], [srca]);
    assert.deepEqual(r.path, [CARDCONTACT_SRCA_CHR]);
  });

  it('verifies an EF 2F02 to its SRCA, the device key inheriting brainpoolP256r1 and equal to the device\'s own', () => {
    const r = verifyCvcChain(decodeCvcChain(chain.ef2f02), [chain.srca]);
    assert.deepEqual(r.path, ['UTSRCACC100001', 'UTDICA0400001', 'UTNK040414400000']);
    const own = cvcPublicKeyFromKeyObject(chain.deviceKey, CVC_OID['id-TA-ECDSA-SHA-256'], false);
    assert.ok(r.publicKey.kind === 'ec' && own.kind === 'ec');
    assert.equal(r.publicKey.curve, 'brainpoolP256r1');
    assert.equal(hex(r.publicKey.publicPoint), hex(own.publicPoint));
  });

  it('names the device CHR when the device certificate signature is altered', () => {
    // Last byte of the device certificate's signature, which ends its 7F21 at the front of EF 2F02.
    const bytes = Uint8Array.from(chain.ef2f02);
    bytes[chain.device.raw.length - 1]! ^= 0x01;
    try {
      verifyCvcChain(decodeCvcChain(bytes), [chain.srca]);
      assert.fail('an altered signature verified');
    } catch (e) {
      assert.equal((e as { code?: string }).code, 'CVC_SIGNATURE_INVALID');
      assert.equal((e as { details: { chr: string } }).details.chr, 'UTNK040414400000');
    }
  });

  it('refuses the chain under a root of the same name with another valid key', () => {
    // The SRCA with its point replaced by the curve's base point: a valid key, but not the one that signed the DICA.
    const h = hex(chain.srca.raw);
    const g = h.slice(h.indexOf('8441') + 4, h.indexOf('8441') + 4 + 130);
    const q = h.indexOf('8641') + 4;
    const fake = decodeCvCertificate(Uint8Array.from(Buffer.from(h.slice(0, q) + g + h.slice(q + 130), 'hex')));
    assert.equal(fake.body.chr, chain.srca.body.chr);
    assert.equal(codeOf(() => verifyCvcChain(decodeCvcChain(chain.ef2f02), [fake])), 'CVC_SIGNATURE_INVALID');
  });

  it('refuses a root whose point is off the curve without an untyped error', () => {
    const bad = patched(CARDCONTACT_SRCA, '8641046d025a80', '8641046d025a81');
    assert.match(codeOf(() => verifyCvcChain([decodeCvCertificate(bad)], [decodeCvCertificate(bad)])) ?? '', /^CVC_(MALFORMED|SIGNATURE_INVALID)$/);
  });

  it('reports CVC_ISSUER_UNKNOWN when the DICA is missing', () => {
    const [device] = decodeCvcChain(chain.ef2f02);
    assert.equal(codeOf(() => verifyCvcChain([device!], [chain.srca])), 'CVC_ISSUER_UNKNOWN');
    assert.equal(codeOf(() => verifyCvcChain(decodeCvcChain(chain.ef2f02), [])), 'CVC_ISSUER_UNKNOWN');
  });

  it('does not let a chain bring its own root under the SRCA name', () => {
    const k = ecKey('brainpoolP256r1');
    const own = decodeCvCertificate(issue({ car: 'DESRCACC100001', chr: 'DESRCACC100001', key: k.publicKey, keyOid: CVC_OID['id-TA-ECDSA-SHA-256'], withDomainParameters: true, signer: k.privateKey, signOid: CVC_OID['id-TA-ECDSA-SHA-256'] }).raw);
    const leaf = decodeCvCertificate(issue({ car: 'DESRCACC100001', chr: 'UTDEVICE000000', key: ecKey('brainpoolP256r1').publicKey, keyOid: CVC_OID['id-TA-ECDSA-SHA-256'], withDomainParameters: false, signer: k.privateKey, signOid: CVC_OID['id-TA-ECDSA-SHA-256'] }).raw);
    assert.equal(codeOf(() => verifyCvcChain([leaf, own], [srca])), 'CVC_SIGNATURE_INVALID');
    assert.equal(codeOf(() => verifyCvcChain([own], [srca])), 'CVC_SIGNATURE_INVALID');
  });

  it('verifies a generated three-level P-384 chain whose lower certificates carry only the point', () => {
    const root = ecKey('P-384'); const ca = ecKey('P-384'); const dev = ecKey('P-384');
    const oid = CVC_OID['id-TA-ECDSA-SHA-384'];
    const rootCert = decodeCvCertificate(issue({ car: 'UTROOT00001', chr: 'UTROOT00001', key: root.publicKey, keyOid: oid, withDomainParameters: true, signer: root.privateKey, signOid: oid }).raw);
    const caCert = decodeCvCertificate(issue({ car: 'UTROOT00001', chr: 'UTDICA00001', key: ca.publicKey, keyOid: oid, withDomainParameters: false, signer: root.privateKey, signOid: oid }).raw);
    const devCert = decodeCvCertificate(issue({ car: 'UTDICA00001', chr: 'UTDEV0000100000', key: dev.publicKey, keyOid: oid, withDomainParameters: false, signer: ca.privateKey, signOid: oid }).raw);
    const r = verifyCvcChain([devCert, caCert], [rootCert]);
    assert.deepEqual(r.path, ['UTROOT00001', 'UTDICA00001', 'UTDEV0000100000']);
    assert.equal(r.publicKey.kind === 'ec' && r.publicKey.curve, 'P-384');
  });

  it('verifies an RSA root signing with PSS for an RSA v1.5 subordinate', () => {
    const root = rsaKey(); const sub = rsaKey();
    const rootCert = decodeCvCertificate(issue({ car: 'UTRSAROOT001', chr: 'UTRSAROOT001', key: root.publicKey, keyOid: CVC_OID['id-TA-RSA-PSS-SHA-256'], withDomainParameters: true, signer: root.privateKey, signOid: CVC_OID['id-TA-RSA-PSS-SHA-256'] }).raw);
    const subCert = decodeCvCertificate(issue({ car: 'UTRSAROOT001', chr: 'UTRSASUB0001', key: sub.publicKey, keyOid: CVC_OID['id-TA-RSA-v1-5-SHA-256'], withDomainParameters: true, signer: root.privateKey, signOid: CVC_OID['id-TA-RSA-PSS-SHA-256'] }).raw);
    assert.deepEqual(verifyCvcChain([subCert], [rootCert]).path, ['UTRSAROOT001', 'UTRSASUB0001']);
    // Signed with v1.5 although the root key says PSS: the root's OID decides, so it fails.
    const wrong = decodeCvCertificate(issue({ car: 'UTRSAROOT001', chr: 'UTRSASUB0002', key: sub.publicKey, keyOid: CVC_OID['id-TA-RSA-v1-5-SHA-256'], withDomainParameters: true, signer: root.privateKey, signOid: CVC_OID['id-TA-RSA-v1-5-SHA-256'] }).raw);
    assert.equal(codeOf(() => verifyCvcChain([wrong], [rootCert])), 'CVC_SIGNATURE_INVALID');
  });
});
