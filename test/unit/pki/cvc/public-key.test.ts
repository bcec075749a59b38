import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPublicKey, ECDH } from 'node:crypto';
import { ECParameters } from '@peculiar/asn1-ecc';
import { AsnConvert } from '@peculiar/asn1-schema';
import { SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import {
  CVC_OID, cvcPublicKeyFromKeyObject, cvcPublicKeyFromSpki, spkiFromCvcPublicKey, keyObjectFromCvcPublicKey,
  DOMAIN_PARAMETERS, decodeCvcPublicKey, encodeCvcPublicKey, type CvcCurve,
} from '../../../../main/pki/cvc/cvc.ts';
import { decodeTlv } from '../../../../main/pki/cvc/tlv.ts';
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

/**
 * 7F49 as an mbedtls-based card (pico-hsm's `asn1_cvc_public_key_ecdsa`)
 * writes it: every value at mbedtls_mpi_size, so secp256k1's a is one 00 byte
 * and b one 07 byte, and P-256's a (−3, left unset by mbedtls) is empty. The
 * values are OpenSSL's explicit parameters (`openssl ecparam -param_enc explicit`),
 * the TLV headers written out, so the vector does not come from the code it tests.
 */
function mbedtlsKey(curve: 'secp256k1' | 'P-256', a: string, b: string): { der: Uint8Array; point: Uint8Array } {
  const explicit = AsnConvert.parse(execFileSync('openssl', ['ecparam', '-name', DOMAIN_PARAMETERS[curve].nodeCurve, '-param_enc', 'explicit', '-outform', 'DER']), ECParameters).specifiedCurve!;
  const p = hex(new Uint8Array(explicit.fieldID.parameters)).slice(6); // INTEGER 02 21 00 || p
  const g = hex(new Uint8Array(explicit.base.buffer));
  const n = hex(new Uint8Array(explicit.order)).replace(/^00/, '');
  const point = new Uint8Array(AsnConvert.parse(ecKey(curve).publicKey.export({ type: 'spki', format: 'der' }), SubjectPublicKeyInfo).subjectPublicKey);
  const tlv = (tag: string, value: string): string => `${tag}${(value.length / 2).toString(16).padStart(2, '0')}${value}`;
  const body = [
    tlv('06', '04007f00070202020203'), `8120${p}`, tlv('82', a), tlv('83', b), `8441${g}`, `8520${n}`, `8641${hex(point)}`, tlv('87', '01'),
  ].join('');
  return { der: Uint8Array.from(Buffer.from(`7f4981${(body.length / 2).toString(16)}${body}`, 'hex')), point };
}

describe('CVC public keys written by mbedtls-based cards', () => {
  it('reads a secp256k1 key whose a is 00 and b is 07, and writes it back the same way', () => {
    const { der, point } = mbedtlsKey('secp256k1', '00', '07');
    const pk = decodeCvcPublicKey(decodeTlv(der));
    assert.equal(pk.kind === 'ec' && pk.curve, 'secp256k1');
    assert.equal(pk.kind === 'ec' && hex(pk.publicPoint), hex(point));
    assert.equal(hex(encodeCvcPublicKey(pk, 'mbedtls')), hex(der));
  });

  it('reads a P-256 key whose a is empty, and writes it back the same way', () => {
    const { der } = mbedtlsKey('P-256', '', hex(DOMAIN_PARAMETERS['P-256'].b));
    const pk = decodeCvcPublicKey(decodeTlv(der));
    assert.equal(pk.kind === 'ec' && pk.curve, 'P-256');
    assert.equal(hex(encodeCvcPublicKey(pk, 'mbedtls')), hex(der));
    assert.equal(hex(encodeCvcPublicKey(pk)).includes(`8220${hex(DOMAIN_PARAMETERS['P-256'].a)}`), true, 'Custos itself still writes a at full length');
  });

  it('still refuses a b that is another number', () => {
    const { der } = mbedtlsKey('secp256k1', '00', '08');
    assert.equal(codeOf(() => decodeCvcPublicKey(decodeTlv(der))), 'CVC_MALFORMED');
  });
});
