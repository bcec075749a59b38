/**
 * The signature algorithm a token key is named with when a CVCA or a request
 * is made: its OID becomes the key's algorithm in the certificate, so an OID
 * of another kind of key, or no TR-03110 OID at all, is refused up front.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CVC_OID } from '../../../main/pki/cvc/cvc.ts';
import { algorithmOid } from '../../../main/cvc/acts.ts';
import { codeOf } from './support.ts';

describe('CVC signature algorithm of a token key', () => {
  it('defaults to ECDSA with the curve\'s hash, and to RSA v1.5 SHA-256', () => {
    assert.equal(algorithmOid(undefined, { kind: 'ec', curve: 'P-256' }), CVC_OID['id-TA-ECDSA-SHA-256']);
    assert.equal(algorithmOid(undefined, { kind: 'ec', curve: 'P-384' }), CVC_OID['id-TA-ECDSA-SHA-384']);
    assert.equal(algorithmOid(undefined, { kind: 'ec', curve: 'P-521' }), CVC_OID['id-TA-ECDSA-SHA-512']);
    assert.equal(algorithmOid(undefined, { kind: 'rsa', bits: 3072 }), CVC_OID['id-TA-RSA-v1-5-SHA-256']);
  });

  it('takes a TR-03110 name or its dotted OID', () => {
    assert.equal(algorithmOid('id-TA-RSA-PSS-SHA-256', { kind: 'rsa', bits: 2048 }), CVC_OID['id-TA-RSA-PSS-SHA-256']);
    assert.equal(algorithmOid(CVC_OID['id-TA-ECDSA-SHA-384'], { kind: 'ec', curve: 'P-256' }), CVC_OID['id-TA-ECDSA-SHA-384']);
  });

  it('refuses a name that is no TR-03110 algorithm with CVC_OID_UNKNOWN', () => {
    assert.equal(codeOf(() => algorithmOid('ecdsa-with-SHA256', { kind: 'ec', curve: 'P-256' })), 'CVC_OID_UNKNOWN');
    assert.equal(codeOf(() => algorithmOid('1.2.840.10045.4.3.2', { kind: 'ec', curve: 'P-256' })), 'CVC_OID_UNKNOWN');
  });

  it('refuses an ECDSA OID for an RSA key and an RSA OID for an EC key with CVC_KEY_OID_MISMATCH', () => {
    assert.equal(codeOf(() => algorithmOid('id-TA-ECDSA-SHA-256', { kind: 'rsa', bits: 2048 })), 'CVC_KEY_OID_MISMATCH');
    assert.equal(codeOf(() => algorithmOid('id-TA-RSA-PSS-SHA-256', { kind: 'ec', curve: 'P-256' })), 'CVC_KEY_OID_MISMATCH');
    assert.equal(codeOf(() => algorithmOid('id-TA-RSA-v1-5-SHA-1', { kind: 'ec', curve: 'P-256' })), 'CVC_KEY_OID_MISMATCH');
  });
});
