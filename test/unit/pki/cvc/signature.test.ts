import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { ECDSASigValue } from '@peculiar/asn1-ecc';
import {
  CVC_OID, cvcPublicKeyFromKeyObject, signCvc, verifyCvcSignature, DOMAIN_PARAMETERS, type CvcCurve,
} from '../../../../main/pki/cvc/cvc.ts';
import { codeOf, ecKey, rsaKey } from './support.ts';

const data = new TextEncoder().encode('7F4E body bytes stand-in');
const CURVES: [CvcCurve, string][] = [
  ['P-256', CVC_OID['id-TA-ECDSA-SHA-256']], ['P-384', CVC_OID['id-TA-ECDSA-SHA-384']], ['P-521', CVC_OID['id-TA-ECDSA-SHA-512']],
  ['brainpoolP256r1', CVC_OID['id-TA-ECDSA-SHA-256']], ['brainpoolP384r1', CVC_OID['id-TA-ECDSA-SHA-384']], ['brainpoolP512r1', CVC_OID['id-TA-ECDSA-SHA-512']],
];

/** r||s as DER Ecdsa-Sig-Value, so OpenSSL can check it. */
function toDer(plain: Uint8Array): Uint8Array {
  const half = plain.length / 2;
  const int = (b: Uint8Array): ArrayBuffer => { let i = 0; while (i < b.length - 1 && b[i] === 0) i++; const v = b.subarray(i); return ((v[0]! & 0x80) ? Uint8Array.of(0, ...v) : Uint8Array.from(v)).buffer; };
  return new Uint8Array(AsnConvert.serialize(new ECDSASigValue({ r: int(plain.subarray(0, half)), s: int(plain.subarray(half)) })));
}

describe('CVC signatures', () => {
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'custos-cvc-sig-')); });
  after(() => { rmSync(dir, { recursive: true, force: true }); });

  for (const [curve, oid] of CURVES) {
    it(`signs ${curve} as plain r||s at field length, and OpenSSL accepts it`, () => {
      const k = ecKey(curve);
      const sig = signCvc(data, k.privateKey, oid);
      assert.equal(sig.length, 2 * DOMAIN_PARAMETERS[curve].fieldBytes);
      const pk = cvcPublicKeyFromKeyObject(k.publicKey, oid, true);
      assert.equal(verifyCvcSignature(data, sig, pk), true);
      const flipped = Uint8Array.from(sig); flipped[5]! ^= 1;
      assert.equal(verifyCvcSignature(data, flipped, pk), false);
      assert.equal(verifyCvcSignature(data, sig.subarray(1), pk), false);
      writeFileSync(join(dir, 'data'), data);
      writeFileSync(join(dir, 'sig.der'), toDer(sig));
      writeFileSync(join(dir, 'pub.pem'), k.publicKey.export({ type: 'spki', format: 'pem' }));
      const hash = { [CVC_OID['id-TA-ECDSA-SHA-256']]: '-sha256', [CVC_OID['id-TA-ECDSA-SHA-384']]: '-sha384', [CVC_OID['id-TA-ECDSA-SHA-512']]: '-sha512' }[oid]!;
      const out = execFileSync('openssl', ['dgst', hash, '-verify', join(dir, 'pub.pem'), '-signature', join(dir, 'sig.der'), join(dir, 'data')]).toString();
      assert.match(out, /Verified OK/);
    });
  }

  it('signs RSA PSS with a salt as long as the hash, checked by OpenSSL', () => {
    const k = rsaKey();
    const sig = signCvc(data, k.privateKey, CVC_OID['id-TA-RSA-PSS-SHA-256']);
    writeFileSync(join(dir, 'data'), data);
    writeFileSync(join(dir, 'sig.bin'), sig);
    writeFileSync(join(dir, 'pub.pem'), k.publicKey.export({ type: 'spki', format: 'pem' }));
    const out = execFileSync('openssl', ['dgst', '-sha256', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32',
      '-verify', join(dir, 'pub.pem'), '-signature', join(dir, 'sig.bin'), join(dir, 'data')]).toString();
    assert.match(out, /Verified OK/);
  });

  it('verifies a P-521 r||s whose halves are one byte short, as cvc-create writes them, and refuses it damaged or of odd length', () => {
    const k = ecKey('P-521');
    const key = cvcPublicKeyFromKeyObject(k.publicKey, CVC_OID['id-TA-ECDSA-SHA-512'], true);
    let full: Uint8Array;
    do {
      full = signCvc(data, k.privateKey, CVC_OID['id-TA-ECDSA-SHA-512']);
    } while (full[0] !== 0 || full[66] !== 0);
    const short = Uint8Array.of(...full.subarray(1, 66), ...full.subarray(67));
    assert.equal(short.length, 130);
    assert.equal(verifyCvcSignature(data, short, key), true);
    assert.equal(verifyCvcSignature(data, short.subarray(1), key), false, 'odd length');
    const damaged = Uint8Array.from(short);
    damaged[100]! ^= 0x01;
    assert.equal(verifyCvcSignature(data, damaged, key), false);
  });

  it('verifies RSA PSS signed with the longest salt, as OpenSSL and cvc-create sign by default, and refuses it with one byte changed', () => {
    const k = rsaKey();
    writeFileSync(join(dir, 'data'), data);
    writeFileSync(join(dir, 'key.pem'), k.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    execFileSync('openssl', ['dgst', '-sha256', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:max',
      '-sign', join(dir, 'key.pem'), '-out', join(dir, 'sig-max.bin'), join(dir, 'data')]);
    const sig = new Uint8Array(readFileSync(join(dir, 'sig-max.bin')));
    const key = cvcPublicKeyFromKeyObject(k.publicKey, CVC_OID['id-TA-RSA-PSS-SHA-256'], true);
    assert.equal(verifyCvcSignature(data, sig, key), true);
    sig[sig.length - 9]! ^= 0x02;
    assert.equal(verifyCvcSignature(data, sig, key), false);
  });

  it('picks RSA v1.5 or PSS and the hash from the OID', () => {
    const k = rsaKey();
    for (const oid of [CVC_OID['id-TA-RSA-v1-5-SHA-256'], CVC_OID['id-TA-RSA-v1-5-SHA-512'], CVC_OID['id-TA-RSA-PSS-SHA-256'], CVC_OID['id-TA-RSA-PSS-SHA-512']]) {
      const sig = signCvc(data, k.privateKey, oid);
      assert.equal(verifyCvcSignature(data, sig, cvcPublicKeyFromKeyObject(k.publicKey, oid, true)), true, oid);
      const other = oid === CVC_OID['id-TA-RSA-v1-5-SHA-256'] ? CVC_OID['id-TA-RSA-v1-5-SHA-512'] : CVC_OID['id-TA-RSA-v1-5-SHA-256'];
      assert.equal(verifyCvcSignature(data, sig, cvcPublicKeyFromKeyObject(k.publicKey, other, true)), false, `${oid} under ${other}`);
    }
  });

  it('refuses an OID that does not fit the key', () => {
    assert.equal(codeOf(() => signCvc(data, rsaKey().privateKey, CVC_OID['id-TA-ECDSA-SHA-256'])), 'MECHANISM_UNSUPPORTED');
    assert.equal(codeOf(() => signCvc(data, ecKey('P-256').privateKey, CVC_OID['id-TA-RSA-v1-5-SHA-256'])), 'MECHANISM_UNSUPPORTED');
    assert.equal(codeOf(() => signCvc(data, ecKey('P-256').privateKey, '1.2.3.4')), 'MECHANISM_UNSUPPORTED');
  });
});
