import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, ECDH } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import {
  CVC_OID, cvcPublicKeyFromKeyObject, cvcPublicKeyFromSpki, spkiFromCvcPublicKey, keyObjectFromCvcPublicKey,
  DOMAIN_PARAMETERS, type CvcCurve,
} from '../../../../main/pki/cvc/cvc.ts';
import { codeOf, ecKey, hex, rsaKey } from './support.ts';

const CURVES = Object.keys(DOMAIN_PARAMETERS) as CvcCurve[];

describe('CVC public keys and SPKI', () => {
  for (const curve of CURVES) {
    it(`gives back node's own SPKI for a ${curve} key`, () => {
      const k = ecKey(curve).publicKey;
      const spki = new Uint8Array(k.export({ type: 'spki', format: 'der' }));
      const pk = cvcPublicKeyFromSpki(spki, CVC_OID['id-TA-ECDSA-SHA-256']);
      assert.equal(pk.kind === 'ec' && pk.curve, curve);
      assert.equal(pk.kind === 'ec' && pk.publicPoint.length, 1 + 2 * DOMAIN_PARAMETERS[curve].fieldBytes);
      assert.equal(hex(spkiFromCvcPublicKey(pk)), hex(spki));
    });
  }

  it('gives back node\'s own SPKI for RSA 2048, with or without a high modulus bit', () => {
    const k = rsaKey().publicKey;
    const spki = new Uint8Array(k.export({ type: 'spki', format: 'der' }));
    const pk = cvcPublicKeyFromKeyObject(k, CVC_OID['id-TA-RSA-v1-5-SHA-256'], true);
    assert.equal(pk.kind === 'rsa' && pk.modulus.length, 256);
    assert.equal(pk.kind === 'rsa' && hex(pk.exponent), '010001');
    assert.equal(hex(spkiFromCvcPublicKey(pk)), hex(spki));
  });

  it('expands a compressed point to 04||X||Y', () => {
    const k = ecKey('brainpoolP256r1').publicKey;
    const spki = AsnConvert.parse(k.export({ type: 'spki', format: 'der' }), SubjectPublicKeyInfo);
    const full = new Uint8Array(spki.subjectPublicKey);
    spki.subjectPublicKey = new Uint8Array(ECDH.convertKey(full, 'brainpoolP256r1', undefined, undefined, 'compressed') as Buffer).buffer;
    const pk = cvcPublicKeyFromSpki(new Uint8Array(AsnConvert.serialize(spki)), CVC_OID['id-TA-ECDSA-SHA-256']);
    assert.equal(pk.kind === 'ec' && hex(pk.publicPoint), hex(full));
  });

  it('takes the public half of a private KeyObject', () => {
    const k = ecKey('P-256');
    const pk = cvcPublicKeyFromKeyObject(k.privateKey, CVC_OID['id-TA-ECDSA-SHA-256'], false);
    assert.equal(pk.kind === 'ec' && pk.withDomainParameters, false);
    assert.ok(keyObjectFromCvcPublicKey(pk).equals(createPublicKey(k.privateKey)));
  });

  it('refuses a key of the wrong kind for the OID, and an EC key whose curve is unknown', () => {
    const rsa = new Uint8Array(rsaKey().publicKey.export({ type: 'spki', format: 'der' }));
    assert.equal(codeOf(() => cvcPublicKeyFromSpki(rsa, CVC_OID['id-TA-ECDSA-SHA-256'])), 'INPUT_INVALID');
    const pk = cvcPublicKeyFromKeyObject(ecKey('P-256').publicKey, CVC_OID['id-TA-ECDSA-SHA-256'], false);
    assert.ok(pk.kind === 'ec');
    const { curve: _dropped, ...pointOnly } = pk;
    assert.equal(codeOf(() => spkiFromCvcPublicKey(pointOnly)), 'CVC_MALFORMED');
  });
});
