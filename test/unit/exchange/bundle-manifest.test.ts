import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isCustosError } from '../../../main/errors/index.ts';
import { decodeManifest, encodeManifest, isBundleFileName, MANIFEST_FILE, MANIFEST_FORMAT, REHEARSAL_NOTICE, type Manifest } from '../../../main/exchange/bundle-manifest.ts';

const manifest = (changes: Record<string, unknown> = {}): Manifest => ({
  format: MANIFEST_FORMAT, purpose: 'publish', rehearsal: false, createdAt: '2026-12-07T06:00:00.000Z', operator: 'custodian',
  ca: { name: 'root', subject: 'CN=Root', sha256: 'a'.repeat(64), certificate: 'MIIB' },
  journalHead: `12:${'b'.repeat(64)}`,
  files: [{ name: 'root-chain.pem', bytes: 1200, sha256: 'c'.repeat(64) }],
  ...changes,
} as Manifest);

function decodeCode(value: unknown): string | undefined {
  try { decodeManifest(new TextEncoder().encode(JSON.stringify(value))); } catch (e) { return isCustosError(e) ? `${e.code} ${String(e.details.field ?? '')}`.trim() : String(e); }
  return undefined;
}

describe('bundle file names', () => {
  it('takes plain names and refuses any that could leave the folder, hide, or not exist on FAT or Windows', () => {
    for (const ok of ['root-chain.pem', 'www.example.test-01ab.pem', 'root-crl-3.crl', 'Zertifikat für München.pem']) assert.equal(isBundleFileName(ok), true, ok);
    for (const bad of ['', '.', '..', '../root.pem', 'sub/root.pem', 'C:root.pem', '..\\root.pem', '.hidden', 'name.', 'name ', 'a\u0000b', 'a\nb', 'a?b', 'a*b',
      MANIFEST_FILE, MANIFEST_FILE.toUpperCase(), 'x'.repeat(256)]) {
      assert.equal(isBundleFileName(bad), false, JSON.stringify(bad));
    }
  });
});

describe('the manifest', () => {
  it('reads back exactly what was written', () => {
    assert.deepEqual(decodeManifest(encodeManifest(manifest())), manifest());
  });

  it('carries the REHEARSAL notice exactly when it is a rehearsal', () => {
    assert.equal(decodeManifest(encodeManifest(manifest({ rehearsal: true, notice: REHEARSAL_NOTICE }))).notice, REHEARSAL_NOTICE);
    assert.equal(decodeCode(manifest({ rehearsal: true })), 'BUNDLE_MANIFEST_MALFORMED notice');
    assert.equal(decodeCode(manifest({ rehearsal: false, notice: REHEARSAL_NOTICE })), 'BUNDLE_MANIFEST_MALFORMED notice');
    assert.throws(() => encodeManifest(manifest({ rehearsal: true })), (e: unknown) => isCustosError(e) && e.code === 'INPUT_INVALID');
  });

  it('refuses a signed manifest that names a file outside its folder, or one file twice in two cases', () => {
    assert.equal(decodeCode(manifest({ files: [{ name: '../../.bashrc', bytes: 1, sha256: 'c'.repeat(64) }] })), 'BUNDLE_MANIFEST_MALFORMED files.0.name');
    assert.equal(decodeCode(manifest({ files: [{ name: 'a.pem', bytes: 1, sha256: 'c'.repeat(64) }, { name: 'A.PEM', bytes: 1, sha256: 'd'.repeat(64) }] })), 'BUNDLE_MANIFEST_MALFORMED files.1.name');
  });

  it('refuses a field it does not know, another format, a size that is not a count, and text that is not JSON', () => {
    assert.equal(decodeCode({ ...manifest(), trustMe: true }), 'BUNDLE_MANIFEST_MALFORMED trustMe');
    assert.equal(decodeCode(manifest({ format: 'custos-bundle/2' })), 'BUNDLE_MANIFEST_MALFORMED format');
    assert.equal(decodeCode(manifest({ files: [{ name: 'a.pem', bytes: -1, sha256: 'c'.repeat(64) }] })), 'BUNDLE_MANIFEST_MALFORMED files.0.bytes');
    assert.throws(() => decodeManifest(new Uint8Array([0x7b, 0xff])), (e: unknown) => isCustosError(e) && e.code === 'BUNDLE_MANIFEST_MALFORMED');
  });
});
