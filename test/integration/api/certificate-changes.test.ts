/**
 * certificate.changes on the real core (SoftHSM2): after a journal entry it
 * returns exactly the certificates issued or revoked since, with their
 * status, and the last entry it read; nothing after the head.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAppCore, type AppCore } from '../../../electron/core.ts';
import { createSoftHsm, type SoftHsm } from '../../support/softhsm.ts';
import { runTool } from '../../support/openssl.ts';

async function csrBase64(cn: string): Promise<string> {
  const r = await runTool('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'k.pem', '-out', 'r.csr', '-subj', `/CN=${cn}`, '-addext', `subjectAltName=DNS:${cn}`], { outputs: ['r.csr'] });
  assert.equal(r.code, 0, r.stderr);
  return Buffer.from(r.outputs['r.csr']!).toString('base64');
}

describe('certificate.changes', () => {
  let work: string;
  let hsm: SoftHsm;
  let core: AppCore;
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-changes-'));
    hsm = await createSoftHsm();
    await hsm.initToken('Changes CA', '12345678', '123456');
    core = await openAppCore({ dataDir: join(work, 'home'), rehearsalModules: [hsm.modulePath], operator: 'changes' });
  });
  after(async () => {
    await core?.close();
    await hsm?.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('returns the certificates issued or revoked after a journal entry, and only those', async () => {
    const h = core.handlers;
    const [token] = await h['token.list']();
    await h['token.login']({ tokenId: token!.id, pin: '123456' });
    const key = await h['token.generateKey']({ tokenId: token!.id, spec: { kind: 'ec', curve: 'P-384' }, label: 'changes-root' });
    const rootTerms = { tokenId: token!.id, keySpkiSha256: key.spkiSha256, profileId: 'root-ca', subject: 'CN=Changes Root' };
    const ca = await h['ca.createRoot']({ ...rootTerms, name: 'Changes Root', tbsSha256: (await h['ca.previewRoot'](rootTerms)).tbsSha256 });
    const sign = async (requestId: string) => {
      const terms = { requestId, caId: ca.id, profileId: 'tls-server' };
      return h['request.sign']({ ...terms, tbsSha256: (await h['request.preview'](terms)).tbsSha256 });
    };
    const all = await h['certificate.changes']({ afterSeq: 0 });
    assert.deepEqual(all.certificates.map((c) => c.subject), ['CN=Changes Root'], 'from the start: the root');

    const mark = all.throughSeq;
    const [first] = await h['request.import']({ fileName: 'a.csr', contentBase64: await csrBase64('a.example') });
    const a = await sign(first!.id);
    const [second] = await h['request.import']({ fileName: 'b.csr', contentBase64: await csrBase64('b.example') });
    const b = await sign(second!.id);
    const since = await h['certificate.changes']({ afterSeq: mark });
    assert.deepEqual(since.certificates.map((c) => c.serialHex).sort(), [a.serialHex, b.serialHex].sort());
    assert.ok(since.throughSeq > mark);

    const mark2 = since.throughSeq;
    await h['certificate.revoke']({ caId: ca.id, serialHex: a.serialHex, reason: 'keyCompromise' });
    const revoked = await h['certificate.changes']({ afterSeq: mark2 });
    assert.deepEqual(revoked.certificates.map((c) => [c.serialHex, c.status, c.reason]), [[a.serialHex, 'revoked', 'keyCompromise']]);

    const none = await h['certificate.changes']({ afterSeq: revoked.throughSeq });
    assert.deepEqual(none, { certificates: [], throughSeq: revoked.throughSeq });
  });
});
