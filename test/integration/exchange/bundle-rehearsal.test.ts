/**
 * A bundle on the rehearsal tokens, the virtual SmartCard-HSMs (VIRTUAL in
 * every journal entry): its signer's key and the CA's live on a virtual card
 * that signs through the SmartCard-HSM protocol, its manifest says REHEARSAL,
 * and it verifies here and with openssl cms -verify like any other.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool } from '../../support/openssl.ts';
import { Custos } from '../../../main/custos.ts';
import { Secret } from '../../../main/secret.ts';
import { REHEARSAL_PIN } from '../../../main/rehearsal/tokens.ts';
import { createRoot } from '../../../main/ca/root.ts';
import { toPem } from '../../../main/pki/formats/index.ts';
import { createBundleSigner } from '../../../main/exchange/bundle-signer.ts';
import { createBundle, type BundleResult } from '../../../main/exchange/bundle.ts';
import { verifyBundle } from '../../../main/exchange/bundle-verify.ts';
import { readSignedManifest } from '../../../main/exchange/bundle-cms.ts';
import { decodeManifest, MANIFEST_FILE, REHEARSAL_NOTICE } from '../../../main/exchange/bundle-manifest.ts';

describe('a bundle on the rehearsal tokens', () => {
  let work: string;
  let custos: Custos;
  let rootDer: Uint8Array;
  let bundle: BundleResult;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-bundle-rehearsal-'));
    custos = await Custos.openRehearsal({ dataDir: join(work, 'home'), operator: 'rehearsal' });
    const hsm = (await custos.tokens.list()).find((t) => t.info.label === 'Backup HSM')!;
    await custos.login(hsm.id, Secret.fromString(REHEARSAL_PIN));
    const key = await custos.generateKey(hsm.id, { kind: 'ec', curve: 'P-384' }, 'rehearsal root');
    const root = await createRoot(custos.ctx, { tokenId: hsm.id, keySpkiSha256: key.spkiSha256, profileId: 'root-ca', subject: 'CN=Rehearsal Bundle Root', name: 'rehearsal-root' });
    rootDer = root.certDer;
    const signer = await createBundleSigner(custos.ctx, { caId: root.id, tokenId: hsm.id });
    assert.equal(signer.virtual, true);
    mkdirSync(join(work, 'medium'));
    bundle = await createBundle(custos.ctx, { caId: root.id, directory: join(work, 'medium'), name: 'rehearsal' });
  });

  after(async () => {
    await custos?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('marks REHEARSAL in the signed manifest and in the journal entry that records it', async () => {
    assert.equal(bundle.rehearsal, true);
    const manifest = decodeManifest((await readSignedManifest(readFileSync(join(bundle.path, MANIFEST_FILE)))).content);
    assert.equal(manifest.rehearsal, true);
    assert.equal(manifest.notice, REHEARSAL_NOTICE);
    const intent = custos.journal.read().find((e) => e.kind === 'bundle.write.intent')!;
    assert.equal(intent.data.rehearsal, true);
    assert.equal(intent.token?.virtual, true);
  });

  it('verifies with no token, and with openssl cms -verify, against the rehearsal root', async () => {
    const report = await verifyBundle(bundle.path, { rootDer });
    assert.deepEqual(report.problems, []);
    assert.equal(report.rehearsal, true);
    const r = await runTool('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'm.p7s', '-CAfile', 'root.pem', '-purpose', 'any', '-out', '/dev/null'],
      { files: { 'm.p7s': readFileSync(join(bundle.path, MANIFEST_FILE)), 'root.pem': toPem(rootDer, 'CERTIFICATE') } });
    assert.equal(r.code, 0, r.stderr);
  });
});
