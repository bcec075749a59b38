/**
 * kill -9 between the token's signature and the journal's result, on a real
 * SoftHSM2 token: the next open records the certificate the token signed
 * (certificate.issue.recovered), and the CA's state holds it like any other:
 * in the CA's list, its request signed, revocable, and its serial never given
 * to another certificate.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSoftHsm, type SoftHsm } from '../../support/softhsm.ts';
import { runTool } from '../../support/openssl.ts';
import { Custos } from '../../../main/custos.ts';
import { Secret } from '../../../main/secret.ts';
import { createRoot } from '../../../main/ca/root.ts';
import { importRequests } from '../../../main/ca/requests.ts';
import { issueCertificate } from '../../../main/ca/issue.ts';
import { revokeSerial } from '../../../main/ca/revoke.ts';
import { checkpointAfterReview } from '../../../main/ca/journal-anchor.ts';
import { CaState } from '../../../main/ca/state.ts';
import { createHandlers } from '../../../main/api/handlers.ts';
import { ReadGrants } from '../../../main/exchange/read-grants.ts';

const PIN = '246813';

async function csr(cn: string): Promise<Uint8Array> {
  const r = await runTool('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'k.pem', '-out', 'r.csr', '-subj', `/CN=${cn}`, '-addext', `subjectAltName=DNS:${cn}`], { outputs: ['r.csr'] });
  assert.equal(r.code, 0, r.stderr);
  return r.outputs['r.csr']!;
}

describe('a certificate cut off from its record by kill -9', () => {
  let hsm: SoftHsm;
  let work: string;
  let home: string;
  let caId: string;
  let requestId: string;
  let secondRequestId: string;

  before(async () => {
    hsm = await createSoftHsm();
    await hsm.initToken('Issue Kill HSM', '24681357', PIN);
    work = mkdtempSync(join(tmpdir(), 'custos-issue-kill-'));
    home = join(work, 'home');
    const custos = Custos.open({ dataDir: home, rehearsalModules: [hsm.modulePath], operator: 'tester', pcsc: false });
    try {
      const tokenId = (await custos.tokens.list())[0]!.id;
      await custos.login(tokenId, Secret.fromString(PIN));
      const key = await custos.generateKey(tokenId, { kind: 'ec', curve: 'P-384' }, 'root');
      caId = (await createRoot(custos.ctx, { tokenId, keySpkiSha256: key.spkiSha256, profileId: 'root-ca', subject: 'CN=Kill Recovery Root', name: 'root' })).id;
      requestId = importRequests(custos.ctx, 'killed.csr', await csr('killed.example'))[0]!.record.id;
      secondRequestId = importRequests(custos.ctx, 'after.csr', await csr('after.example'))[0]!.record.id;
    } finally {
      await custos.close();
    }
  });

  after(async () => {
    rmSync(work, { recursive: true, force: true });
    await hsm.cleanup();
  });

  it('puts the recovered certificate in the CA\'s list, marks its request signed, lets it be revoked, and never reuses its serial', { timeout: 120_000 }, async () => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', join(process.cwd(), 'test/support/issue-killed-before-record.ts'), home, hsm.modulePath, caId, requestId, 'tls-server'],
      { env: { ...process.env, SOFTHSM2_CONF: hsm.conf, CUSTOS_PIN: PIN }, encoding: 'utf8', timeout: 120_000 });
    assert.equal(child.signal, 'SIGKILL', `the child was to be killed: ${child.status} ${child.stderr}`);

    const custos = Custos.open({ dataDir: home, rehearsalModules: [hsm.modulePath], operator: 'tester', pcsc: false });
    try {
      assert.deepEqual(custos.journal.recoveredAtOpen.map((e) => e.kind), ['certificate.issue.recovered']);
      const issued = [...(custos.state.issued.get(caId)?.values() ?? [])].filter((r) => !r.isCa);
      assert.equal(issued.length, 1, 'the certificate the token signed is in the CA\'s list');
      const rec = issued[0]!;
      assert.equal(rec.recovered, true);
      assert.equal(rec.subject, 'CN=killed.example');
      assert.equal(rec.profileId, 'tls-server');
      assert.equal(rec.requestId, requestId);
      const x509 = new X509Certificate(rec.certDer);
      assert.equal(x509.serialNumber.toLowerCase().replace(/^(00)+/, ''), rec.serialHex);
      assert.equal(x509.verify(new X509Certificate(custos.state.cas.get(caId)!.certDer).publicKey), true, 'the recovered bytes are a certificate the CA signed');
      assert.equal(custos.state.requests.get(requestId)?.signedSerial, rec.serialHex, 'the request shows as signed');

      // The same state read again from the journal's entries alone (the projection is pure).
      const replayed = CaState.fromEntries(custos.journal.read());
      assert.equal(replayed.issued.get(caId)?.get(rec.serialHex)?.sha256, rec.sha256);

      // The window's list shows it.
      const handlers = createHandlers(custos, { readGrants: new ReadGrants() });
      const listed = await handlers['certificate.list']({ caId });
      assert.equal(listed.find((c) => c.serialHex === rec.serialHex && c.subject === 'CN=killed.example')?.recovered, true, 'certificate.list shows the recovered certificate, as recovered');
      // A window whose catalog saw every entry before the kill asks what changed since: the recovered certificate.
      const intentSeq = custos.journal.read().find((e) => e.kind === 'certificate.issue.intent')!.seq;
      const changes = await handlers['certificate.changes']({ afterSeq: intentSeq - 1 });
      assert.deepEqual(changes.certificates.map((c) => [c.serialHex, c.recovered]), [[rec.serialHex, true]], 'certificate.changes names the recovered certificate');

      // After a person reviewed the entries and signed a checkpoint, the CA goes on: it can revoke it, and the next serial is another.
      const tokenId = (await custos.tokens.list())[0]!.id;
      const token = await custos.login(tokenId, Secret.fromString(PIN));
      if (custos.ctx.anchors?.problemAtOpen()?.code === 'JOURNAL_UNANCHORED') await checkpointAfterReview(custos.ctx, token);
      assert.equal(revokeSerial(custos.ctx, { caId, serialHex: rec.serialHex, reason: 'superseded' }).issued.serialHex, rec.serialHex);
      const next = await issueCertificate(custos.ctx, { caId, requestId: secondRequestId, profileId: 'tls-server' });
      assert.notEqual(next.serialHex, rec.serialHex);
      assert.equal(custos.state.issued.get(caId)?.get(rec.serialHex)?.sha256, rec.sha256, 'the recovered certificate is still the one under its serial');
    } finally {
      await custos.close();
    }
  });
});
