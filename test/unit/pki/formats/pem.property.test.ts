/**
 * Properties of the PEM reader and writer (RFC 7468) on generated input:
 * what toPem writes reads back to the same bytes and label, whatever text lies
 * around it and whichever line ends it uses; and whatever text it is given,
 * the reader returns blocks or throws a CustosError, nothing else.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isCustosError } from '../../../../main/errors/index.ts';
import { fromPem, looksLikePem, readPemBlocks, toPem } from '../../../../main/pki/formats/pem.ts';
import { mutate, mutationsArb, ROBUSTNESS_RUNS, ROBUSTNESS_SEED } from '../../../fixtures/cvc/mutations.ts';

const RUNS = { seed: ROBUSTNESS_SEED, numRuns: ROBUSTNESS_RUNS };

// RFC 7468 §3: label = [ labelchar *( ["-" / SP] labelchar ) ], labelchar any printable but "-".
const labelArb = fc.oneof(
  fc.constantFrom('CERTIFICATE', 'CERTIFICATE REQUEST', 'X509 CRL', 'PKCS7', 'PRIVATE KEY'),
  fc.stringMatching(/^[\x21-\x2c\x2e-\x7e](?:[ -]?[\x21-\x2c\x2e-\x7e]){0,15}$/),
);
const derArb = fc.uint8Array({ minLength: 1, maxLength: 200 });
// Explanatory text (RFC 7468 §5.2) may stand around a block; it cannot hold a line that starts a block.
const asideArb = fc.string({ unit: fc.constantFrom('a', 'Z', ' ', '\n', '\r\n', '\t', ':', '=', 'é', '-'), maxLength: 40 })
  .filter((t) => !t.includes('-----'));

/** What the reader must answer for any text: blocks, or a CustosError. */
function readsOrRefuses(read: () => unknown): boolean {
  try {
    read();
    return true;
  } catch (e) {
    return isCustosError(e) && ['FORMAT_UNKNOWN', 'FORMAT_MISMATCH', 'FILE_TRUNCATED'].includes(e.code);
  }
}

describe('PEM (properties)', () => {
  it('reads back what toPem wrote, byte for byte, with text around it and CRLF or LF lines', () => {
    fc.assert(fc.property(derArb, labelArb, asideArb, asideArb, fc.boolean(), (der, label, before, after, crlf) => {
      const block = crlf ? toPem(der, label).replaceAll('\n', '\r\n') : toPem(der, label);
      const text = `${before}${before === '' ? '' : '\n'}${block}${after}`;
      assert.deepEqual(fromPem(text, label), der);
      const blocks = readPemBlocks(text);
      assert.deepEqual(blocks.map((b) => b.label), [label]);
      assert.ok(looksLikePem(Buffer.from(text)));
    }), RUNS);
  });

  it('reads a file of several blocks back in order', () => {
    fc.assert(fc.property(fc.array(fc.tuple(derArb, labelArb), { minLength: 1, maxLength: 4 }), asideArb, (items, between) => {
      const text = items.map(([der, label]) => toPem(der, label)).join(between);
      assert.deepEqual(readPemBlocks(text).map((b) => [b.label, Buffer.from(b.der)]), items.map(([der, label]) => [label, Buffer.from(der)]));
    }), RUNS);
  });

  it('refuses a label RFC 7468 does not allow with INPUT_INVALID, nothing else', () => {
    fc.assert(fc.property(fc.string({ maxLength: 20 }), (label) => {
      try {
        toPem(Uint8Array.of(1), label);
        return /^[\x21-\x2c\x2e-\x7e]([ -]?[\x21-\x2c\x2e-\x7e])*$/.test(label);
      } catch (e) {
        return isCustosError(e) && e.code === 'INPUT_INVALID';
      }
    }), RUNS);
  });

  it('answers any damage to a PEM file with blocks or a CustosError', () => {
    fc.assert(fc.property(derArb, labelArb, mutationsArb, (der, label, mutations) => {
      const text = Buffer.from(mutate(Buffer.from(toPem(der, label)), mutations)).toString('latin1');
      return readsOrRefuses(() => readPemBlocks(text)) && readsOrRefuses(() => fromPem(text, label));
    }), RUNS);
  });

  it('answers any text with blocks or a CustosError', () => {
    const pemish = fc.string({ unit: fc.constantFrom('-----BEGIN ', '-----END ', '-----', 'X', ' ', '\n', 'QUJD', '=', '+', '/', '\u0000'), maxLength: 30 });
    fc.assert(fc.property(pemish, (text) => readsOrRefuses(() => readPemBlocks(text)) && readsOrRefuses(() => fromPem(text, 'X'))), RUNS);
  });
});
