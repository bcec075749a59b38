/**
 * Properties of format detection (detect.ts) on OpenSSL's artifacts of every
 * kind and on damaged copies of them: detection answers for any bytes and
 * never throws; a kind wrapped in PEM under its label is the same kind; a key
 * anywhere in a PEM file refuses the file; a DER structure cut short or run
 * on is not taken for what it was.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { detectFormat, type FormatKind } from '../../../../main/pki/formats/detect.ts';
import { toPem } from '../../../../main/pki/formats/pem.ts';
import { mutate, mutationsArb, ROBUSTNESS_RUNS, ROBUSTNESS_SEED } from '../../../fixtures/cvc/mutations.ts';
import { makeFixtures, type Fixtures } from './openssl-fixtures.ts';

const RUNS = { seed: ROBUSTNESS_SEED, numRuns: ROBUSTNESS_RUNS };
const KINDS: readonly FormatKind[] = ['certificate', 'csr', 'crl', 'pkcs7', 'cvc', 'cvc-request', 'private-key-refused', 'unknown'];
/** The DER fixtures and the label a PEM file of that kind carries. */
const DER: readonly [string, FormatKind, string][] = [
  ['root.der', 'certificate', 'CERTIFICATE'], ['leaf.der', 'certificate', 'CERTIFICATE'], ['leaf.csr.der', 'csr', 'CERTIFICATE REQUEST'],
  ['root.crl', 'crl', 'X509 CRL'], ['chain.p7b', 'pkcs7', 'PKCS7'], ['leaf.p8.der', 'private-key-refused', 'PRIVATE KEY'],
  ['root.ec.der', 'private-key-refused', 'EC PRIVATE KEY'], ['leaf.rsa.der', 'private-key-refused', 'RSA PRIVATE KEY'],
  ['leaf.p8enc.der', 'private-key-refused', 'ENCRYPTED PRIVATE KEY'],
];
const CVC: readonly [string, FormatKind][] = [['device.cvcert', 'cvc'], ['plain.cvreq', 'cvc-request'], ['authenticated.cvreq', 'cvc-request']];
const asideArb = fc.string({ unit: fc.constantFrom('a', ' ', '\n', '\r\n', ':', 'é'), maxLength: 30 });

describe('detectFormat (properties)', () => {
  let fx: Fixtures;
  before(() => { fx = makeFixtures(); });
  after(() => fx.remove());

  const isAnswer = (bytes: Uint8Array): boolean => {
    const found = detectFormat(bytes);
    return KINDS.includes(found.kind) && (found.encoding === 'der' || found.encoding === 'pem');
  };

  it('answers for any damage to any kind, in DER or PEM, and never throws', () => {
    const names = Object.keys(fx.files);
    fc.assert(fc.property(fc.constantFrom(...names), mutationsArb, (name, mutations) => isAnswer(mutate(fx.files[name]!, mutations))), RUNS);
  });

  it('answers for any bytes and never throws', () => {
    const bytesArb = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      // Starts that send detection down each path: SEQUENCE, CVC certificate and authentication, PEM.
      fc.tuple(fc.constantFrom([0x30], [0x30, 0x80], [0x30, 0x84, 0xff, 0xff, 0xff, 0xff], [0x7f, 0x21], [0x67], [...Buffer.from('-----BEGIN ')]), fc.uint8Array({ maxLength: 48 }))
        .map(([head, tail]) => Uint8Array.of(...head, ...tail)),
    );
    fc.assert(fc.property(bytesArb, isAnswer), RUNS);
  });

  it('detects a kind in PEM under its label as the same kind, with any text around it', () => {
    fc.assert(fc.property(fc.constantFrom(...DER), asideArb, asideArb, fc.boolean(), ([name, kind, label], before, after, crlf) => {
      const pem = toPem(fx.files[name]!, label);
      const text = `${before.replaceAll('-', '')}\n${crlf ? pem.replaceAll('\n', '\r\n') : pem}${after}`;
      assert.deepEqual(detectFormat(Buffer.from(text)), { kind, encoding: 'pem' });
    }), RUNS);
  });

  it('refuses a PEM file holding a key anywhere, beside any number of certificates', () => {
    const keys = DER.filter(([, kind]) => kind === 'private-key-refused');
    fc.assert(fc.property(fc.constantFrom(...keys), fc.nat({ max: 3 }), fc.nat(), ([name, , label], certificates, at) => {
      const blocks = Array.from({ length: certificates }, () => toPem(fx.files['leaf.der']!, 'CERTIFICATE'));
      blocks.splice(at % (certificates + 1), 0, toPem(fx.files[name]!, label));
      assert.equal(detectFormat(Buffer.from(blocks.join(''))).kind, 'private-key-refused');
    }), RUNS);
  });

  it('does not take a DER structure cut short or run on for what it was', () => {
    // Keys are left out: a damaged key may well still be refused as one.
    const all = [...DER.filter(([, kind]) => kind !== 'private-key-refused'), ...CVC];
    fc.assert(fc.property(fc.constantFrom(...all), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.boolean(), ([name, kind], at, extra, cut) => {
      const der = fx.files[name]!;
      const changed = cut ? der.subarray(0, at % der.length) : Uint8Array.of(...der, ...extra);
      assert.notEqual(detectFormat(changed).kind, kind);
    }), RUNS);
  });
});
