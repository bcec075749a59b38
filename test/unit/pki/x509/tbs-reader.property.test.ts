/**
 * Properties of the TBS reader (tbs-reader.ts): whatever buildTbs writes (any
 * names, serials, validity and key) reads back with the exact bytes of issuer,
 * subject and key, inside a TBSCertificate or a whole certificate; and any
 * damage to either is answered with the structure or INPUT_INVALID, nothing else.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import fc from 'fast-check';
import { isCustosError } from '../../../../main/errors/index.ts';
import { algorithmIdentifierFor, signAlgorithmFor } from '../../../../main/pki/x509/algorithms.ts';
import { nameFromAttributes } from '../../../../main/pki/x509/names.ts';
import { loadProfile } from '../../../../main/pki/x509/profiles.ts';
import { readCertificate, readTbs } from '../../../../main/pki/x509/tbs-reader.ts';
import { buildTbs, type BuiltTbs } from '../../../../main/pki/x509/tbs.ts';
import { joinDer } from '../../../../main/pki/x509/der-join.ts';
import { mutate, mutationsArb, ROBUSTNESS_RUNS, ROBUSTNESS_SEED } from '../../../fixtures/cvc/mutations.ts';

const RUNS = { seed: ROBUSTNESS_SEED, numRuns: ROBUSTNESS_RUNS };

// A handful of keys made once: what varies per run is the TBS around them.
const SPKIS = [
  generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey,
  generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey,
  generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey,
].map((k) => new Uint8Array(k.export({ format: 'der', type: 'spki' })));
const PROFILES = ['tls-server', 'tls-client', 'root-ca', 'subordinate-ca', 'code-signing'].map((id) => loadProfile(id));
const SIGNATURE = algorithmIdentifierFor(signAlgorithmFor({ kind: 'ec', curve: 'P-256' }));
const SIGNATURE_DER = new Uint8Array(AsnConvert.serialize(SIGNATURE));

// Printable text within RFC 5280's upper bounds, multi-byte UTF-8 included (names with control characters are lint's to refuse).
const nameValueArb = fc.string({ unit: fc.constantFrom('a', 'Z', '7', ' ', '-', '.', "'", 'é', 'ß', '東', '\u{1f512}'), minLength: 1, maxLength: 64 })
  .filter((v) => v.trim() === v);
const attributeArb = fc.record({ type: fc.constantFrom('CN', 'O', 'OU', 'L'), value: nameValueArb });
const tbsArb = fc.record({
  profile: fc.constantFrom(...PROFILES),
  subject: fc.array(fc.oneof(attributeArb, fc.array(attributeArb, { minLength: 1, maxLength: 2 })), { minLength: 1, maxLength: 4 }),
  subjectSpki: fc.constantFrom(...SPKIS),
  serialHex: fc.uint8Array({ minLength: 1, maxLength: 20 }).map((b) => Buffer.from(b).toString('hex')),
  notBefore: fc.integer({ min: Date.UTC(1950, 0, 1) / 1000, max: Date.UTC(9999, 0, 1) / 1000 }),
  days: fc.integer({ min: 1, max: 9000 }),
});

type TbsArbValue = typeof tbsArb extends fc.Arbitrary<infer T> ? T : never;

function built({ profile, subject, subjectSpki, serialHex, notBefore, days }: TbsArbValue): BuiltTbs {
  const from = new Date(notBefore * 1000);
  const to = new Date(Math.min(from.getTime() + days * 86_400_000, Date.UTC(9999, 11, 31, 23, 59, 59)));
  return buildTbs({ profile, subject: nameFromAttributes(subject), subjectSpki, issuer: 'self', serialHex, notBefore: from, notAfter: to, signatureAlgorithm: SIGNATURE });
}

/** A certificate around the TBS: the signature is not checked by the reader, so any bit string will do. */
function certificateOf(tbsDer: Uint8Array, signature: Uint8Array): Uint8Array {
  return joinDer(0x30, [tbsDer, SIGNATURE_DER, joinDer(0x03, [Uint8Array.of(0), signature])]);
}

function readsOrRefuses(read: () => unknown): boolean {
  try {
    read();
    return true;
  } catch (e) {
    return isCustosError(e) && e.code === 'INPUT_INVALID';
  }
}

// Building and reading a TBS both cost a millisecond or so: 300 varied TBSs are built once, and each
// run reads one of them, whole or damaged, as a TBS or inside a certificate.
const POOL = fc.sample(tbsArb, { seed: ROBUSTNESS_SEED, numRuns: 300 }).map(built);
const pooledArb = fc.constantFrom(...POOL);

describe('TBS reader (properties)', () => {
  it('reads back what buildTbs wrote, with the exact bytes of issuer, subject and key, as a TBS or in a certificate', () => {
    fc.assert(fc.property(pooledArb, fc.uint8Array({ minLength: 1, maxLength: 72 }), fc.boolean(), (tbs, signature, whole) => {
      const cert = whole ? readCertificate(certificateOf(tbs.der, signature)) : undefined;
      const read = cert ?? readTbs(tbs.der);
      assert.deepEqual([read.der, read.issuerDer, read.subjectDer, read.spkiDer].map((b) => Buffer.from(b)),
        [tbs.der, tbs.issuerDer, tbs.subjectDer, tbs.spkiDer].map((b) => Buffer.from(b)));
      assert.deepEqual(Buffer.from(read.tbs.serialNumber), Buffer.from(tbs.tbs.serialNumber));
      if (cert) assert.deepEqual(Buffer.from(cert.certificate.signatureValue), Buffer.from(signature));
    }), RUNS);
  });

  it('re-encodes what it read to the same DER', () => {
    assert.deepEqual(POOL.map((tbs) => Buffer.from(AsnConvert.serialize(readTbs(tbs.der).tbs))), POOL.map((tbs) => Buffer.from(tbs.der)));
  });

  it('answers any damage to a TBS or a certificate with what it read or INPUT_INVALID', () => {
    fc.assert(fc.property(pooledArb, mutationsArb, fc.boolean(), (tbs, mutations, whole) => {
      const damaged = mutate(whole ? certificateOf(tbs.der, Uint8Array.of(1, 2, 3)) : tbs.der, mutations);
      return readsOrRefuses(() => (whole ? readCertificate(damaged) : readTbs(damaged)));
    }), RUNS);
  });

  it('refuses a TBS or certificate with bytes after it, or cut short, as INPUT_INVALID', () => {
    fc.assert(fc.property(pooledArb, fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.boolean(), fc.boolean(), (tbs, at, extra, cut, whole) => {
      const der = whole ? certificateOf(tbs.der, Uint8Array.of(1, 2, 3)) : tbs.der;
      const changed = cut ? der.subarray(0, at % der.length) : Uint8Array.of(...der, ...extra);
      assert.throws(() => (whole ? readCertificate(changed) : readTbs(changed)), (e: unknown) => isCustosError(e) && e.code === 'INPUT_INVALID');
    }), RUNS);
  });
});
