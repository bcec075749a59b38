/**
 * The foundation's CA flow with the CA key on a SmartCard-HSM reached through
 * PC/SC: a virtual card behind vsmartcard's vpcd in a private pcscd (its own
 * process, as a real card is outside the host), spoken to by Custos's own
 * driver. Root, subordinate, leaf, revocation and CRL; OpenSSL verifies.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScHsmProvider } from '../../../main/hsm/sc-hsm/provider.ts';
import { Secret } from '../../../main/secret.ts';
import { Custos } from '../../../main/custos.ts';
import { createRoot } from '../../../main/ca/root.ts';
import { importRequests } from '../../../main/ca/requests.ts';
import { issueCertificate } from '../../../main/ca/issue.ts';
import { revokeSerial } from '../../../main/ca/revoke.ts';
import { issueCrl } from '../../../main/ca/crl.ts';
import { exportCertificate, exportCrl } from '../../../main/ca/export.ts';
import { requestForKey } from '../../../main/ca/key-request.ts';
import { parseSubject } from '../../../main/ca/subject.ts';
import { signAlgorithmFor } from '../../../main/pki/x509/algorithms.ts';
import { createInitializedCard, startCardProcess, type CardProcess } from '../../support/card-process.ts';

const PIN = '648219';
const isRoot = process.getuid?.() === 0;

describe('CA flow on a SmartCard-HSM through pcscd', { skip: isRoot ? false : 'a private pcscd needs root' }, () => {
  let work: string;
  let card: CardProcess;
  let custos: Custos;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-pcsc-flow-'));
    const stateFile = join(work, 'ca.vsc');
    await createInitializedCard(stateFile, PIN, 'PC/SC CA');
    card = await startCardProcess(stateFile);
    custos = Custos.open({ dataDir: join(work, 'home'), operator: 'tester', providers: [new ScHsmProvider()] });
  });

  after(async () => {
    await custos?.close();
    await card?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('makes a root, a subordinate and a leaf with keys on the card, revokes the leaf, and OpenSSL agrees', async () => {
    const tokens = await custos.tokens.list();
    const listed = tokens.find((t) => t.info.backend === 'sc-hsm');
    assert.ok(listed, `the card is listed: ${tokens.map((t) => t.info.label).join(', ')}`);
    assert.equal(listed.info.virtual, true, 'a virtual card says so even through PC/SC');
    await custos.login(listed.id, Secret.fromString(PIN));
    const rootKey = await custos.generateKey(listed.id, { kind: 'ec', curve: 'P-384' }, 'root');
    const root = await createRoot(custos.ctx, { tokenId: listed.id, keySpkiSha256: rootKey.spkiSha256, profileId: 'root-ca', subject: 'C=XX, O=Custos, CN=PC/SC Root', name: 'root' });
    const subKey = await custos.generateKey(listed.id, { kind: 'rsa', bits: 3072 }, 'issuing');
    const token = await custos.tokens.open(listed.id);
    const subCsr = await requestForKey(token.signer(subKey), parseSubject('C=XX, O=Custos, CN=PC/SC Issuing'), signAlgorithmFor(subKey.spec));
    const [subReq] = importRequests(custos.ctx, 'sub.csr.der', subCsr);
    const sub = await issueCertificate(custos.ctx, { caId: root.id, requestId: subReq!.record.id, profileId: 'subordinate-ca', name: 'issuing' });
    const applicant = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const leafCsr = await requestForKey({ spki: new Uint8Array(applicant.publicKey.export({ type: 'spki', format: 'der' })), sign: async (d) => new Uint8Array(nodeSign('sha256', d, { key: applicant.privateKey, dsaEncoding: 'der' })) },
      parseSubject('CN=pcsc.custos.test'), { scheme: 'ecdsa', hash: 'SHA-256' });
    const [leafReq] = importRequests(custos.ctx, 'leaf.csr.der', leafCsr);
    const leaf = await issueCertificate(custos.ctx, { caId: sub.sha256, requestId: leafReq!.record.id, profileId: 'tls-client' });
    revokeSerial(custos.ctx, { caId: sub.sha256, serialHex: leaf.serialHex, reason: 'keyCompromise' });
    const subCrl = await issueCrl(custos.ctx, { caId: sub.sha256 });
    const rootCrl = await issueCrl(custos.ctx, { caId: root.id });

    const dir = join(work, 'out');
    const rootSerial = [...custos.state.issued.get(root.id)!.values()].find((r) => r.sha256 === root.id)!.serialHex;
    const rootPem = (await exportCertificate(custos.ctx, { caId: root.id, serialHex: rootSerial, format: 'pem', directory: dir })).path;
    const subPem = (await exportCertificate(custos.ctx, { caId: root.id, serialHex: sub.serialHex, format: 'pem', directory: dir })).path;
    const leafPem = (await exportCertificate(custos.ctx, { caId: sub.sha256, serialHex: leaf.serialHex, format: 'pem', directory: dir })).path;
    const subCrlPem = (await exportCrl(custos.ctx, { caId: sub.sha256, crlNumber: subCrl.record.crlNumber, format: 'pem', directory: dir })).path;
    const rootCrlPem = (await exportCrl(custos.ctx, { caId: root.id, crlNumber: rootCrl.record.crlNumber, format: 'pem', directory: dir })).path;

    const subOk = spawnSync('openssl', ['verify', '-crl_check', '-CAfile', rootPem, '-CRLfile', rootCrlPem, subPem], { encoding: 'utf8' });
    assert.equal(subOk.status, 0, `${subOk.stdout}${subOk.stderr}`);
    const leafBad = spawnSync('openssl', ['verify', '-crl_check', '-CAfile', rootPem, '-untrusted', subPem, '-CRLfile', subCrlPem, leafPem], { encoding: 'utf8' });
    assert.notEqual(leafBad.status, 0);
    assert.match(`${leafBad.stdout}${leafBad.stderr}`, /certificate revoked/);
    const intents = custos.journal.read().filter((e) => e.kind.endsWith('.intent') && e.token);
    assert.ok(intents.every((e) => e.token!.backend === 'sc-hsm' && e.token!.virtual));
  });
});
