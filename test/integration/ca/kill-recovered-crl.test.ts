/**
 * kill -9 between the token's signature of a CRL and the journal's result, on
 * a real SoftHSM2 token: the next open records the CRL the token signed
 * (crl.issue.recovered), and the CA's CRLs hold it like any other: listed
 * (as recovered), exported as DER and PEM that OpenSSL verifies under the CA,
 * its number never given again, and the next CRL is the next number.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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
import { issueCrl, previewCrl } from '../../../main/ca/crl.ts';
import { crlBytes } from '../../../main/ca/export.ts';
import { checkpointAfterReview } from '../../../main/ca/journal-anchor.ts';
import { CaState } from '../../../main/ca/state.ts';
import { createHandlers } from '../../../main/api/handlers.ts';
import { ReadGrants } from '../../../main/exchange/read-grants.ts';
import { toPem } from '../../../main/pki/formats/pem.ts';

const PIN = '135792';

describe('a CRL cut off from its record by kill -9', () => {
  let hsm: SoftHsm;
  let work: string;
  let home: string;
  let caId: string;
  let caPem: string;
  let revokedSerial: string;

  before(async () => {
    hsm = await createSoftHsm();
    await hsm.initToken('CRL Kill HSM', '13579246', PIN);
    work = mkdtempSync(join(tmpdir(), 'custos-crl-kill-'));
    home = join(work, 'home');
    const custos = Custos.open({ dataDir: home, rehearsalModules: [hsm.modulePath], operator: 'tester', pcsc: false });
    try {
      const tokenId = (await custos.tokens.list())[0]!.id;
      await custos.login(tokenId, Secret.fromString(PIN));
      const key = await custos.generateKey(tokenId, { kind: 'ec', curve: 'P-384' }, 'root');
      const root = await createRoot(custos.ctx, { tokenId, keySpkiSha256: key.spkiSha256, profileId: 'root-ca', subject: 'CN=CRL Kill Root', name: 'root' });
      caId = root.id;
      caPem = toPem(custos.state.cas.get(caId)!.certDer, 'CERTIFICATE');
      const r = await runTool('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'k.pem', '-out', 'r.csr', '-subj', '/CN=revoked.example', '-addext', 'subjectAltName=DNS:revoked.example'], { outputs: ['r.csr'] });
      assert.equal(r.code, 0, r.stderr);
      const requestId = importRequests(custos.ctx, 'revoked.csr', r.outputs['r.csr']!)[0]!.record.id;
      revokedSerial = (await issueCertificate(custos.ctx, { caId, requestId, profileId: 'tls-server' })).serialHex;
      revokeSerial(custos.ctx, { caId, serialHex: revokedSerial, reason: 'keyCompromise' });
    } finally {
      await custos.close();
    }
  });

  after(async () => {
    rmSync(work, { recursive: true, force: true });
    await hsm.cleanup();
  });

  it('lists the recovered CRL, exports it as one OpenSSL verifies under the CA, and issues the next number after it', { timeout: 120_000 }, async () => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', join(process.cwd(), 'test/support/crl-killed-before-record.ts'), home, hsm.modulePath, caId],
      { env: { ...process.env, SOFTHSM2_CONF: hsm.conf, CUSTOS_PIN: PIN }, encoding: 'utf8', timeout: 120_000 });
    assert.equal(child.signal, 'SIGKILL', `the child was to be killed: ${child.status} ${child.stderr}`);

    const custos = Custos.open({ dataDir: home, rehearsalModules: [hsm.modulePath], operator: 'tester', pcsc: false });
    try {
      assert.deepEqual(custos.journal.recoveredAtOpen.map((e) => e.kind), ['crl.issue.recovered']);
      const handlers = createHandlers(custos, { readGrants: new ReadGrants() });
      const listed = await handlers['crl.list']({ caId });
      assert.deepEqual(listed.map((c) => [c.crlNumber, c.entries, c.recovered]), [['1', 1, true]], 'the CRL the token signed is in the CA\'s list, as recovered');

      // Exported from the journal's kept bytes, and OpenSSL reads it as the CA's CRL with the revoked serial.
      const der = crlBytes(custos.ctx, caId, '1', 'der').bytes;
      const pem = crlBytes(custos.ctx, caId, '1', 'pem').bytes;
      for (const [inform, bytes] of [['DER', der], ['PEM', pem]] as const) {
        const r = await runTool('openssl', ['crl', '-inform', inform, '-in', 'c.crl', '-CAfile', 'ca.pem', '-noout', '-text'], { files: { 'c.crl': bytes, 'ca.pem': caPem } });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stderr + r.stdout, /verify OK/);
        assert.match(r.stdout, new RegExp(`Serial Number: 0*${revokedSerial.toUpperCase()}`));
        assert.match(r.stdout, /X509v3 CRL Number:\s*\n\s*1\b/);
      }

      // The same list read again from the journal's entries alone (the projection is pure).
      assert.equal(CaState.fromEntries(custos.journal.read()).crls.get(caId)?.[0]?.sha256, listed[0]!.sha256);

      // After a person reviewed the entries and signed a checkpoint, the next CRL is number 2, not a second number 1.
      const tokenId = (await custos.tokens.list())[0]!.id;
      const token = await custos.login(tokenId, Secret.fromString(PIN));
      if (custos.ctx.anchors?.problemAtOpen()?.code === 'JOURNAL_UNANCHORED') await checkpointAfterReview(custos.ctx, token);
      const next = await issueCrl(custos.ctx, { caId, tbsSha256: previewCrl(custos.ctx, { caId }).tbsSha256 });
      assert.equal(next.record.crlNumber, '2');
      assert.deepEqual((await handlers['crl.list']({ caId })).map((c) => [c.crlNumber, c.recovered ?? false]), [['1', true], ['2', false]]);
    } finally {
      await custos.close();
    }
  });
});
