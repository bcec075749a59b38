/**
 * kill -9 between the token's signature and its record, on a real SoftHSM2
 * token: the journal kept the CV certificate the token signed and records it
 * at the next open; the CVC authority then holds it like any other (a DV it
 * can sign with, its request marked signed), so a key is not certified twice
 * unawares and the signature is not lost.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSoftHsm, type SoftHsm } from '../../support/softhsm.ts';
import { Custos } from '../../../main/custos.ts';
import { Secret } from '../../../main/secret.ts';
import { checkpointAfterReview } from '../../../main/ca/journal-anchor.ts';
import { CVC_OID, cvcPublicKeyFromKeyObject, encodeCvCertificate, encodeCvcBody, signCvc } from '../../../main/pki/cvc/cvc.ts';
import { initCvca, makeCvcRequest, signCvcCertificate } from '../../../main/cvc/acts.ts';
import { importCvcRequest } from '../../../main/cvc/import.ts';
import { cvcStateOf, type CvcCertificateRecord } from '../../../main/cvc/state.ts';
import { cvcHandlers } from '../../../main/api/cvc-handlers.ts';

const PIN = '975310';

function terminalRequest(chr: string): Uint8Array {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const bodyRaw = encodeCvcBody({ cpi: 0, publicKey: cvcPublicKeyFromKeyObject(publicKey, CVC_OID['id-TA-ECDSA-SHA-256'], true), chr });
  return encodeCvCertificate(bodyRaw, signCvc(bodyRaw, privateKey, CVC_OID['id-TA-ECDSA-SHA-256']));
}

describe('a CVC signature cut off from its record by kill -9', () => {
  let hsm: SoftHsm;
  let work: string;
  let home: string;
  let cvca: CvcCertificateRecord;
  let dvRequestId: string;

  before(async () => {
    hsm = await createSoftHsm();
    await hsm.initToken('CVC Kill HSM', '13572468', PIN);
    work = mkdtempSync(join(tmpdir(), 'custos-cvc-kill-'));
    home = join(work, 'home');
    const custos = Custos.open({ dataDir: home, rehearsalModules: [hsm.modulePath], operator: 'tester', pcsc: false });
    try {
      const tokenId = (await custos.tokens.list())[0]!.id;
      await custos.login(tokenId, Secret.fromString(PIN));
      const cvcaKey = await custos.generateKey(tokenId, { kind: 'ec', curve: 'P-256' }, 'cvca');
      cvca = await initCvca(custos.ctx, { tokenId, keySpkiSha256: cvcaKey.spkiSha256, chr: 'UTCVCA00001', validityDays: 1000 });
      const dvKey = await custos.generateKey(tokenId, { kind: 'ec', curve: 'P-256' }, 'dv');
      const request = await makeCvcRequest(custos.ctx, { tokenId, keySpkiSha256: dvKey.spkiSha256, chr: 'UTDVKILL00001', car: 'UTCVCA00001' });
      dvRequestId = importCvcRequest(custos.journal, 'UTDVKILL00001.cvreq', request).record.id;
    } finally {
      await custos.close();
    }
  });

  after(async () => {
    rmSync(work, { recursive: true, force: true });
    await hsm.cleanup();
  });

  it('records the DV certificate at the next open, as the CVCA\'s, its request signed, and cvc-print verifies it', async () => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', join(process.cwd(), 'test/support/cvc-killed-before-record.ts'), home, hsm.modulePath, cvca.id, dvRequestId, 'dv-domestic'],
      { env: { ...process.env, SOFTHSM2_CONF: hsm.conf, CUSTOS_PIN: PIN }, encoding: 'utf8', timeout: 120_000 });
    assert.equal(child.signal, 'SIGKILL', `the child was to be killed: ${child.status} ${child.stderr}`);

    const custos = Custos.open({ dataDir: home, rehearsalModules: [hsm.modulePath], operator: 'tester', pcsc: false });
    try {
      assert.deepEqual(custos.journal.recoveredAtOpen.map((e) => e.kind), ['cvc.certificate.sign.recovered']);
      const state = cvcStateOf(custos.journal);
      const dv = [...state.certificates.values()].find((c) => c.chr === 'UTDVKILL00001');
      assert.ok(dv, 'the DV certificate the token signed is in the CVC state');
      assert.equal(dv.recovered, true);
      assert.equal(dv.origin, 'issued');
      assert.equal(dv.car, 'UTCVCA00001');
      assert.equal(dv.role, 'dv-domestic');
      assert.equal(dv.issuerId, cvca.id);
      assert.equal(state.requests.get(dvRequestId)?.signedCertificateId, dv.id, 'the request shows as signed');
      assert.ok(state.authorities().some((a) => a.id === dv.id), 'the recovered DV is an authority that can sign');
      const listed = await cvcHandlers(custos, async () => ({}))['cvc.certificates']();
      assert.equal(listed.find((c) => c.id === dv.id)?.recovered, true, 'the window is told it was recovered');

      const dir = join(work, 'trusted');
      mkdirSync(dir);
      writeFileSync(join(dir, 'UTCVCA00001'), cvca.raw);
      writeFileSync(join(dir, 'dv.cvcert'), dv.raw);
      const printed = spawnSync('cvc-print', ['--cvc', join(dir, 'dv.cvcert'), '--cvc-dir', dir], { encoding: 'utf8' });
      assert.match(printed.stdout, /certificate verified/, printed.stdout + printed.stderr);

      // After a person reviewed the entries and signed a checkpoint, the recovered DV signs a terminal.
      const tokenId = (await custos.tokens.list())[0]!.id;
      const token = await custos.login(tokenId, Secret.fromString(PIN));
      if (custos.ctx.anchors?.problemAtOpen()?.code === 'JOURNAL_UNANCHORED') await checkpointAfterReview(custos.ctx, token);
      const termId = importCvcRequest(custos.journal, 'UTTERM00001.cvreq', terminalRequest('UTTERM000001')).record.id;
      const terminal = await signCvcCertificate(custos.ctx, { issuer: dv.id, profileId: 'terminal-at', requestId: termId, validityDays: 30 });
      assert.equal(terminal.car, 'UTDVKILL00001');
    } finally {
      await custos.close();
    }
    const cli = spawnSync(process.execPath, [join(process.cwd(), 'bin/custos.mjs'), 'cvc', 'list'],
      { env: { ...process.env, SOFTHSM2_CONF: hsm.conf, CUSTOS_HOME: home, CUSTOS_OPERATOR: 'tester' }, encoding: 'utf8', timeout: 120_000 });
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /UTDVKILL00001 ← UTCVCA00001 {2}dv-domestic .*\(issued, recovered after an interrupted run\)/, cli.stdout);
  });
});
