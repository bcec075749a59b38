/**
 * Requests arrive on USB sticks from outside the air gap: every mutation of a
 * valid request either parses (and then its signature held) or fails with a
 * CSR_* code — never an untyped exception. Seeded, so a failure replays.
 */
import { describe, it } from 'node:test';
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import fc from 'fast-check';
import { parseCsrFile } from '../../../../main/pki/x509/csr.ts';
import { requestForKey } from '../../../../main/ca/key-request.ts';
import { parseSubject } from '../../../../main/ca/subject.ts';
import { failsOnlyTyped, mutate, mutationsArb, ROBUSTNESS_SEED } from '../../../fixtures/cvc/mutations.ts';

const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const csr = await requestForKey(
  { spki: new Uint8Array(key.publicKey.export({ type: 'spki', format: 'der' })), sign: async (d) => new Uint8Array(nodeSign('sha256', d, { key: key.privateKey, dsaEncoding: 'der' })) },
  parseSubject('C=DE, O=Robust, CN=robust.example'), { scheme: 'ecdsa', hash: 'SHA-256' });
const pem = new TextEncoder().encode(`-----BEGIN CERTIFICATE REQUEST-----\n${Buffer.from(csr).toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE REQUEST-----\n`);

describe('parseCsrFile survives mutated requests', { timeout: 120_000 }, () => {
  it('DER and PEM requests, mutated 5,000 times each', () => {
    fc.assert(fc.property(fc.constantFrom(csr, pem), mutationsArb, (bytes, m) => failsOnlyTyped(() => parseCsrFile(mutate(bytes, m)), ['CSR_'])),
      { seed: ROBUSTNESS_SEED, numRuns: 10_000 });
  });
});
