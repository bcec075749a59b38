import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { AsnConvert } from '@peculiar/asn1-schema';
import { ECParameters } from '@peculiar/asn1-ecc';
import { DOMAIN_PARAMETERS, identifyCurve, type CvcCurve } from '../../../../main/pki/cvc/cvc.ts';
import { hex } from './support.ts';

const CURVES = Object.keys(DOMAIN_PARAMETERS) as CvcCurve[];

describe('EC domain parameters', () => {
  for (const curve of CURVES) {
    it(`match OpenSSL's explicit parameters for ${curve}`, () => {
      const d = DOMAIN_PARAMETERS[curve];
      const der = execFileSync('openssl', ['ecparam', '-name', d.nodeCurve, '-param_enc', 'explicit', '-outform', 'DER']);
      const specified = AsnConvert.parse(der, ECParameters).specifiedCurve!;
      // fieldID.parameters is the prime as a DER INTEGER.
      const prime = new Uint8Array(specified.fieldID.parameters);
      assert.equal(BigInt(`0x${hex(prime.subarray(2))}`), BigInt(`0x${hex(d.p)}`));
      assert.equal(hex(new Uint8Array(specified.curve.a)), hex(d.a));
      assert.equal(hex(new Uint8Array(specified.curve.b)), hex(d.b));
      assert.equal(hex(new Uint8Array(specified.base.buffer)), hex(d.g));
      assert.equal(BigInt(`0x${hex(new Uint8Array(specified.order))}`), BigInt(`0x${hex(d.order)}`));
      // asn1-ecc hands the small cofactor INTEGER back as a number.
      assert.equal(Number(specified.cofactor), Number(BigInt(`0x${hex(d.cofactor)}`)));
      assert.equal(d.p.length, d.fieldBytes);
      assert.equal(identifyCurve(d.p, d.a), curve);
    });
  }

  it('identifies a curve by p and a as numbers, whatever their length', () => {
    const k1 = DOMAIN_PARAMETERS.secp256k1;
    assert.equal(identifyCurve(k1.p, new Uint8Array(32)), 'secp256k1');
    // pico-hsm writes secp256k1's a = 0 as one 00 byte (mbedtls_mpi_size(0) is 0, then a 1-byte fallback).
    assert.equal(identifyCurve(k1.p, Uint8Array.of(0)), 'secp256k1');
    assert.equal(identifyCurve(Uint8Array.of(0, ...k1.p), Uint8Array.of(0, 0)), 'secp256k1');
    assert.equal(identifyCurve(DOMAIN_PARAMETERS['P-256'].p, DOMAIN_PARAMETERS.brainpoolP256r1.a), undefined);
    assert.equal(identifyCurve(k1.p, Uint8Array.of(7)), undefined);
  });

  it('reads an empty a as mbedtls\'s unset A: −3 on the curves that have it, and nothing else', () => {
    for (const curve of ['P-256', 'P-384', 'P-521'] as const) assert.equal(identifyCurve(DOMAIN_PARAMETERS[curve].p, new Uint8Array(0)), curve);
    assert.equal(identifyCurve(DOMAIN_PARAMETERS.secp256k1.p, new Uint8Array(0)), 'secp256k1', 'empty is 0, and secp256k1 has a = 0');
    assert.equal(identifyCurve(DOMAIN_PARAMETERS.brainpoolP256r1.p, new Uint8Array(0)), undefined, 'brainpoolP256r1 has neither a = 0 nor a = −3');
  });
});
