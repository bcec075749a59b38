/**
 * The CV request importer: what it shows of a good request, how it judges
 * the outer signature and the device chain, and a code of its own for each
 * kind of bad input. Property tests mutate good requests and check that the
 * importer either accepts them or refuses with a TLV_/CVC_ code, never
 * another failure, and never accepts a request whose signed bytes changed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { inspectCvcRequest, checkCvcCertificates, MAX_CVC_FILE_BYTES } from '../../../main/cvc/import.ts';
import { createForeignDeviceIdentity, createDeviceIdentity } from '../../../main/hsm/virtual/attestation.ts';
import { decodeCvRequest, encodeAuthenticatedRequest } from '../../../main/pki/cvc/cvc.ts';
import { children, decodeTlv, encodeTlv } from '../../../main/pki/cvc/tlv.ts';
import { attestedRequest, codeOf, hex, plainRequest, replaceHex } from './support.ts';
import { mutate, mutateInside, mutationsArb, failsOnlyTyped, ROBUSTNESS_SEED } from '../../fixtures/cvc/mutations.ts';

describe('CV request import: what it shows', () => {
  it('shows a plain request\'s CHR, CAR, key and fingerprint, with possession proven and no attestation', () => {
    const made = plainRequest('UTDVCUSTOS00001', { car: 'UTCVCA00001' });
    const seen = inspectCvcRequest(made.raw);
    assert.equal(seen.kind, 'plain');
    assert.equal(seen.attestation, 'plain');
    assert.equal(seen.body.chr, 'UTDVCUSTOS00001');
    assert.equal(seen.body.car, 'UTCVCA00001');
    assert.equal(seen.body.publicKey.description, 'EC P-256');
    assert.equal(seen.body.publicKey.algorithm, 'id-TA-ECDSA-SHA-256');
    assert.match(seen.keySpkiSha256, /^[0-9a-f]{64}$/);
  });

  it('checks an authenticated request\'s outer signature with the device chain to the rehearsal root, and shows the path', () => {
    const made = attestedRequest();
    const seen = inspectCvcRequest(made.raw, { deviceChain: made.chain });
    assert.equal(seen.kind, 'authenticated');
    assert.equal(seen.attestation, 'rehearsal');
    assert.deepEqual(seen.attestationPath, ['UTSRCACC100001', 'UTCUSTOS00001', made.identity.deviceChr]);
  });

  it('says "chain-missing" for an authenticated request that came without its device chain', () => {
    assert.equal(inspectCvcRequest(attestedRequest().raw).attestation, 'chain-missing');
  });

  it('says "self-issued" for a device that certifies itself (no root vouches for it)', () => {
    const made = attestedRequest(createForeignDeviceIdentity(), 'ESPICOHSMTR00002');
    const seen = inspectCvcRequest(made.raw, { deviceChain: made.chain });
    assert.equal(seen.attestation, 'self-issued');
  });

  it('refuses a device chain of another device than the one that signed (CVC_ISSUER_UNKNOWN)', () => {
    const made = attestedRequest();
    assert.equal(codeOf(() => inspectCvcRequest(made.raw, { deviceChain: createDeviceIdentity().deviceCertificates })), 'CVC_ISSUER_UNKNOWN');
  });
});

describe('CV request import: each bad input has its own code', () => {
  const made = attestedRequest();
  const plain = plainRequest('UTTERM000001');
  const inner = decodeCvRequest(plain.raw).inner;

  it('a broken inner signature is CVC_INNER_SIGNATURE_INVALID', () => {
    const broken = Uint8Array.from(plain.raw);
    broken[broken.length - 1]! ^= 0x01;
    assert.equal(codeOf(() => inspectCvcRequest(broken)), 'CVC_INNER_SIGNATURE_INVALID');
  });

  it('a broken outer signature is CVC_OUTER_SIGNATURE_INVALID', () => {
    const broken = Uint8Array.from(made.raw);
    broken[broken.length - 1]! ^= 0x01;
    assert.equal(codeOf(() => inspectCvcRequest(broken, { deviceChain: made.chain })), 'CVC_OUTER_SIGNATURE_INVALID');
  });

  it('an unknown algorithm OID is CVC_OID_UNKNOWN', () => {
    assert.equal(codeOf(() => inspectCvcRequest(replaceHex(plain.raw, '060a04007f00070202020203', '060a04007f00070202020209'))), 'CVC_OID_UNKNOWN');
  });

  it('a date in packed BCD instead of one digit a byte is CVC_DATE_INVALID', () => {
    const dated = requestWithFields(inner.bodyRaw, inner.signature, (fields) => [...fields, encodeTlv(0x5f25, Uint8Array.of(0x26, 0x12, 0x07)), encodeTlv(0x5f24, Uint8Array.of(2, 7, 1, 2, 0, 7))]);
    assert.equal(codeOf(() => inspectCvcRequest(dated)), 'CVC_DATE_INVALID');
  });

  it('a CHR of the wrong length is CVC_HOLDER_REFERENCE_INVALID', () => {
    for (const chr of ['UTTER', 'UTTERMINAL00000001']) {
      const wrong = requestWithFields(inner.bodyRaw, inner.signature, (fields) => fields.map((f) => (f[0] === 0x5f && f[1] === 0x20 ? encodeTlv(0x5f20, Uint8Array.from(Buffer.from(chr))) : f)));
      assert.equal(codeOf(() => inspectCvcRequest(wrong)), 'CVC_HOLDER_REFERENCE_INVALID', chr);
    }
  });

  it('trailing bytes after the request are TLV_TRAILING_BYTES', () => {
    assert.equal(codeOf(() => inspectCvcRequest(Uint8Array.of(...plain.raw, 0x00, 0x00))), 'TLV_TRAILING_BYTES');
  });

  it('a nested length that lies (a field longer than its parent) is TLV_LENGTH_MISMATCH; a file cut short is TLV_TRUNCATED', () => {
    // The CHR's length byte grows by one: the CHR now claims a byte of what follows, and the body ends inside a field.
    const lying = replaceHex(plain.raw, '5f200c', '5f2040');
    assert.equal(codeOf(() => inspectCvcRequest(lying)), 'TLV_LENGTH_MISMATCH');
    assert.equal(codeOf(() => inspectCvcRequest(plain.raw.subarray(0, plain.raw.length - 3))), 'TLV_TRUNCATED');
  });

  it('an empty file, and one larger than any CV request, are refused before decoding', () => {
    assert.equal(codeOf(() => inspectCvcRequest(new Uint8Array())), 'FILE_TRUNCATED');
    assert.equal(codeOf(() => inspectCvcRequest(new Uint8Array(MAX_CVC_FILE_BYTES + 1))), 'FILE_TOO_LARGE');
  });

  it('an authenticated request whose outer CAR names another device than its chain is refused, not shown as attested', () => {
    const other = encodeAuthenticatedRequest(decodeCvRequest(made.raw).inner.raw, 'UTCUS99999900000', decodeCvRequest(made.raw).outerSignature!);
    assert.equal(codeOf(() => inspectCvcRequest(other, { deviceChain: made.chain })), 'CVC_ISSUER_UNKNOWN');
  });
});

/** A request whose body fields were changed, every length written right (as a careful forger would). */
function requestWithFields(bodyRaw: Uint8Array, signature: Uint8Array, change: (fields: Uint8Array[]) => Uint8Array[]): Uint8Array {
  const fields = children(decodeTlv(bodyRaw)).map((t) => Uint8Array.from(t.raw));
  return encodeTlv(0x7f21, [encodeTlv(0x7f4e, change(fields)), encodeTlv(0x5f37, signature)]);
}

describe('CV request import survives hostile input (property)', { timeout: 60_000 }, () => {
  const made = attestedRequest();
  const plain = plainRequest();
  const options = { seed: ROBUSTNESS_SEED, numRuns: 1500 };

  it('mutated requests are accepted or refused with a TLV_, CVC_ or FILE_ code, nothing else', () => {
    fc.assert(fc.property(fc.constantFrom(made.raw, plain.raw), mutationsArb,
      (input, mutations) => failsOnlyTyped(() => inspectCvcRequest(mutate(input, mutations), { deviceChain: made.chain }), ['TLV_', 'CVC_', 'FILE_'])), options);
  });

  it('damage inside a field with every length kept right is never accepted as the signed request', () => {
    fc.assert(fc.property(fc.constantFrom(made.raw, plain.raw), fc.nat(), mutationsArb, (input, nth, mutations) => {
      const damaged = mutateInside(input, nth, mutations);
      try {
        const seen = inspectCvcRequest(damaged, { deviceChain: made.chain });
        // Accepted: then the signed parts are unchanged (damage fell on an unsigned part: the outer CAR of a request without chain check, or nothing changed).
        const original = decodeCvRequest(input);
        return hex(seen.request.inner.bodyRaw) === hex(original.inner.bodyRaw);
      } catch (e) {
        return failsOnlyTyped(() => { throw e; }, ['TLV_', 'CVC_', 'FILE_']);
      }
    }), options);
  });

  it('mutated device chains are refused with a typed code, or still name the device that signed', () => {
    fc.assert(fc.property(mutationsArb, (mutations) => {
      try {
        const seen = inspectCvcRequest(made.raw, { deviceChain: mutate(made.chain, mutations) });
        return seen.attestationPath.at(-1) === made.identity.deviceChr;
      } catch (e) {
        return failsOnlyTyped(() => { throw e; }, ['TLV_', 'CVC_', 'FILE_']);
      }
    }), { seed: ROBUSTNESS_SEED, numRuns: 500 });
  });
});

describe('CV certificate import', () => {
  it('refuses a certificate whose issuer is not at hand (CVC_ISSUER_UNKNOWN)', () => {
    const made = attestedRequest();
    const device = made.identity.deviceCertificates;
    assert.equal(codeOf(() => checkCvcCertificates(device, [])), 'CVC_ISSUER_UNKNOWN');
  });
});
