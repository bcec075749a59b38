/**
 * Issuing from imported requests on a real SoftHSM2 token: a batch on one
 * session, the request handed over from import, and the checks that still
 * hold while the next certificate is prepared as the token signs.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, generateKeyPairSync, sign as nodeSign, X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { createSoftHsm, type SoftHsm } from '../../support/softhsm.ts';
import { Custos } from '../../../main/custos.ts';
import { Secret } from '../../../main/secret.ts';
import { createRoot } from '../../../main/ca/root.ts';
import { importRequests, recordRequest } from '../../../main/ca/requests.ts';
import { issueCertificate, issueCertificates, issueRequests, PREVIEW_MAX_AGE_MS, previewIssue } from '../../../main/ca/issue.ts';
import { parseCsrFile } from '../../../main/pki/x509/csr.ts';
import { DEFAULT_PROFILE_DIR } from '../../../main/pki/x509/profiles.ts';
import type { IssuedRecord } from '../../../main/ca/state.ts';
import { requestForKey } from '../../../main/ca/key-request.ts';
import { parseSubject } from '../../../main/ca/subject.ts';
import { CustosError, isCustosError } from '../../../main/errors/index.ts';

const PIN = '975312';

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try { await p; } catch (e) { return isCustosError(e) ? e.code : `untyped: ${String(e)}`; }
  return undefined;
}

function applicantRequest(cn: string): Promise<Uint8Array> {
  const k = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return requestForKey({ spki: new Uint8Array(k.publicKey.export({ type: 'spki', format: 'der' })), sign: async (d) => new Uint8Array(nodeSign('sha256', d, { key: k.privateKey, dsaEncoding: 'der' })) },
    parseSubject(`CN=${cn}`), { scheme: 'ecdsa', hash: 'SHA-256' });
}

const pem = (der: Uint8Array): string => `-----BEGIN CERTIFICATE REQUEST-----\n${Buffer.from(der).toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;

describe('issuing certificates from imported requests on SoftHSM2', () => {
  let hsm: SoftHsm;
  let work: string;
  let custos: Custos;
  let rootId: string;
  let rootCert: X509Certificate;

  async function imported(prefix: string, count: number) {
    const ders = await Promise.all(Array.from({ length: count }, (_, i) => applicantRequest(`${prefix}-${i}.custos.test`)));
    return importRequests(custos.ctx, `${prefix}.pem`, Buffer.from(ders.map(pem).join(''), 'latin1'));
  }

  before(async () => {
    hsm = await createSoftHsm();
    await hsm.initToken('Issue HSM', '24681357', PIN);
    work = mkdtempSync(join(tmpdir(), 'custos-issue-'));
    custos = Custos.open({ dataDir: join(work, 'home'), rehearsalModules: [hsm.modulePath], operator: 'tester' });
    const [listed] = await custos.tokens.list();
    assert.ok(listed, 'the SoftHSM token is listed');
    await custos.login(listed.id, Secret.fromString(PIN));
    const key = await custos.generateKey(listed.id, { kind: 'ec', curve: 'P-384' }, 'root');
    const root = await createRoot(custos.ctx, { tokenId: listed.id, keySpkiSha256: key.spkiSha256, profileId: 'root-ca', subject: 'CN=Issue Root', name: 'root' });
    rootId = root.id;
    rootCert = new X509Certificate(Buffer.from(root.certDer));
  });

  after(async () => {
    await custos.close();
    rmSync(work, { recursive: true, force: true });
    await hsm.cleanup();
  });

  it('issues a batch in order, each certificate signed by the root key, with its intent journalled before its result', async () => {
    const requests = await imported('batch', 6);
    const issued = await issueCertificates(custos.ctx, requests.map(({ record, csr }) => ({ caId: rootId, requestId: record.id, csr, profileId: 'tls-server', validityDays: 30 })));
    assert.equal(issued.length, 6);
    issued.forEach((rec, i) => {
      const cert = new X509Certificate(Buffer.from(rec.certDer));
      assert.ok(cert.verify(rootCert.publicKey), `certificate ${i} verifies with the root key`);
      assert.equal(cert.subject, `CN=batch-${i}.custos.test`);
      assert.equal(cert.issuer, rootCert.subject);
    });
    assert.equal(new Set(issued.map((r) => r.serialHex)).size, 6, 'six different serials');
    const entries = custos.journal.read();
    for (const rec of issued) {
      const intent = entries.findIndex((e) => e.kind === 'certificate.issue.intent' && e.data.serialHex === rec.serialHex);
      const done = entries.findIndex((e) => e.kind === 'certificate.issue.done' && e.data.serialHex === rec.serialHex);
      assert.ok(intent >= 0 && done > intent, `intent before result for ${rec.serialHex}`);
    }
  });

  it('takes the request as import returned it, but reads a copy made elsewhere again from the journal', async () => {
    const [req] = await imported('handed', 1);
    const issued = await issueCertificate(custos.ctx, { caId: rootId, requestId: req!.record.id, csr: req!.csr, profileId: 'tls-server' });
    assert.equal(new X509Certificate(Buffer.from(issued.certDer)).subject, 'CN=handed-0.custos.test');
    const [other] = await imported('copied', 1);
    // A look-alike CsrInfo (not made by parseCsrFile here) naming another subject is not used: the stored request is.
    const forged = { ...other!.csr, subject: { ...other!.csr.subject, text: 'CN=forged.custos.test' } };
    const fromCopy = await issueCertificate(custos.ctx, { caId: rootId, requestId: other!.record.id, csr: forged, profileId: 'tls-server' });
    assert.equal(new X509Certificate(Buffer.from(fromCopy.certDer)).subject, 'CN=copied-0.custos.test');
    // A checked request handed over under another request's id is not used either.
    const mismatched = await issueCertificate(custos.ctx, { caId: rootId, requestId: other!.record.id, csr: req!.csr, profileId: 'tls-server' });
    assert.equal(new X509Certificate(Buffer.from(mismatched.certDer)).subject, 'CN=copied-0.custos.test');
  });

  it('signs exactly the plan the operator previewed, once, and refuses a preview made for other terms', async () => {
    const [req, other] = await imported('previewed', 2);
    const terms = { caId: rootId, requestId: req!.record.id, csr: req!.csr, profileId: 'tls-server', validityDays: 30 };
    const plan = previewIssue(custos.ctx, terms);
    const issued = await issueCertificate(custos.ctx, { ...terms, plan });
    assert.equal(issued.serialHex, plan.preview.serialHex);
    const tbs = new Uint8Array(AsnConvert.serialize(AsnConvert.parse(issued.certDer, Certificate).tbsCertificate));
    assert.deepEqual(Buffer.from(tbs), Buffer.from(plan.tbsDer), 'the signed TBS is the previewed one, byte for byte');
    const intent = custos.journal.read().find((e) => e.kind === 'certificate.issue.intent' && e.data.serialHex === plan.preview.serialHex);
    assert.equal(intent?.data.tbsSha256, createHash('sha256').update(plan.tbsDer).digest('hex'));
    assert.equal(await codeOf(issueCertificate(custos.ctx, { ...terms, plan })), 'PREVIEW_STALE', 'a preview is signed once');
    const otherPlan = previewIssue(custos.ctx, { ...terms, requestId: other!.record.id, csr: other!.csr });
    assert.equal(await codeOf(issueCertificate(custos.ctx, { ...terms, plan: otherPlan })), 'PREVIEW_STALE', 'a preview for another request');
    assert.equal(await codeOf(issueCertificate(custos.ctx, { ...terms, requestId: other!.record.id, csr: other!.csr, profileId: 'tls-client', plan: otherPlan })), 'PREVIEW_STALE', 'a preview under another profile');
  });

  it('refuses to sign a preview more than an hour old', async () => {
    const [req] = await imported('aged', 1);
    let clock = new Date();
    const ctx = { ...custos.ctx, now: () => clock };
    const terms = { caId: rootId, requestId: req!.record.id, csr: req!.csr, profileId: 'tls-server', validityDays: 30 };
    const plan = previewIssue(ctx, terms);
    clock = new Date(clock.getTime() + PREVIEW_MAX_AGE_MS + 1000);
    assert.equal(await codeOf(issueCertificate(ctx, { ...terms, plan })), 'PREVIEW_STALE');
    clock = new Date(clock.getTime() - 2000);
    assert.equal((await issueCertificate(ctx, { ...terms, plan })).serialHex, plan.preview.serialHex, 'within the hour it is signed');
  });

  it('refuses a second new CA of the same name while the first is still at the token', async () => {
    const requests = await imported('twin', 2);
    const code = await codeOf(issueCertificates(custos.ctx, requests.map(({ record, csr }) => ({ caId: rootId, requestId: record.id, csr, profileId: 'subordinate-ca', name: 'twin', pathLen: 0 }))));
    assert.equal(code, 'CA_EXISTS');
    assert.equal([...custos.ctx.state.cas.values()].filter((c) => c.name === 'twin').length, 1);
  });

  it('starts no request after the first that fails, and keeps what was issued before it', async () => {
    const requests = await imported('stop', 3);
    const batch = requests.map(({ record, csr }, i) => ({ caId: rootId, requestId: record.id, csr, profileId: 'tls-server', validityDays: i === 1 ? 9999 : 30 }));
    assert.equal(await codeOf(issueCertificates(custos.ctx, batch)), 'VALIDITY_INVALID');
    const signed = requests.map(({ record }) => custos.ctx.state.requests.get(record.id)?.signedSerial);
    assert.ok(signed[0], 'the first request was issued');
    assert.equal(signed[1], undefined);
    assert.equal(signed[2], undefined, 'the request after the failure was not started');
  });

  it('hands the token nothing more after a signature fails, and settles the requests planned behind it as BATCH_STOPPED', async () => {
    const requests = await imported('fault', 6);
    // Fault injection (named so): the CA token's signer fails its third signature, as a removed card would.
    const token = await custos.tokens.open((await custos.tokens.list())[0]!.id);
    const original = token.signer.bind(token);
    let calls = 0;
    (token as { signer: typeof token.signer }).signer = (key, options) => {
      const signer = original(key, options);
      // Only the CA key's signatures are counted: the journal key signs the batch's checkpoint after it.
      if (key.label === 'custos-journal') return signer;
      return { ...signer, sign: (message, algorithm) => (++calls === 3 ? Promise.reject(new CustosError('SIGN_FAILED', 'injected', {})) : signer.sign(message, algorithm)) };
    };
    try {
      const before = custos.journal.lastSeq;
      const code = await codeOf(issueCertificates(custos.ctx, requests.map(({ record, csr }) => ({ caId: rootId, requestId: record.id, csr, profileId: 'tls-server', validityDays: 30 }))));
      assert.equal(code, 'SIGN_FAILED', 'the first failure is the one reported');
      assert.equal(calls, 3, `no signature was asked for after the failed one: ${calls} ${JSON.stringify(custos.journal.read(before).map((e) => [e.kind, e.intent ?? e.seq, e.data.code ?? '']))}`);
      const signed = requests.map(({ record }) => custos.ctx.state.requests.get(record.id)?.signedSerial !== undefined);
      assert.deepEqual(signed, [true, true, false, false, false, false]);
      const entries = custos.journal.read(before);
      const failures = entries.filter((e) => e.kind === 'certificate.issue.failed').map((e) => e.data.code);
      assert.equal(failures[0], 'SIGN_FAILED');
      assert.ok(failures.length > 1 && failures.slice(1).every((c) => c === 'BATCH_STOPPED'), `the intents planned behind it are settled as stopped: ${failures.join(', ')}`);
      assert.equal(custos.journal.pendingIntents().length, 0, 'no intent is left open');
    } finally {
      (token as { signer: typeof token.signer }).signer = original;
    }
  });

  it('issues every certificate of a batch under its profile as the batch began, an edit of the file applying from the next batch', async () => {
    const profileDir = mkdtempSync(join(work, 'profiles-'));
    cpSync(DEFAULT_PROFILE_DIR, profileDir, { recursive: true });
    const ctx = { ...custos.ctx, profileDir };
    const file = join(profileDir, 'tls-server.json');
    const original = readFileSync(file, 'utf8');
    const edited = JSON.stringify({ ...JSON.parse(original), extKeyUsage: { purposes: ['serverAuth', 'clientAuth'], critical: false } });
    // The profile file is edited while the batch's first certificate is at the token.
    const token = await custos.tokens.open((await custos.tokens.list())[0]!.id);
    const signerOf = token.signer.bind(token);
    (token as { signer: typeof token.signer }).signer = (key, options) => {
      const signer = signerOf(key, options);
      return { ...signer, sign: (message, algorithm) => { writeFileSync(file, edited); return signer.sign(message, algorithm); } };
    };
    const purposes = (records: readonly IssuedRecord[]): string[] => records.map((r) => new X509Certificate(Buffer.from(r.certDer)).toLegacyObject().ext_key_usage?.join(',') ?? '');
    try {
      const first = await imported('profile-a', 6);
      const issued = await issueCertificates(ctx, first.map(({ record, csr }) => ({ caId: rootId, requestId: record.id, csr, profileId: 'tls-server', validityDays: 30 })));
      assert.deepEqual(purposes(issued), Array(6).fill('1.3.6.1.5.5.7.3.1'));
      const next = await imported('profile-b', 2);
      const after = await issueCertificates(ctx, next.map(({ record, csr }) => ({ caId: rootId, requestId: record.id, csr, profileId: 'tls-server', validityDays: 30 })));
      assert.deepEqual(purposes(after), Array(2).fill('1.3.6.1.5.5.7.3.1,1.3.6.1.5.5.7.3.2'));
    } finally {
      (token as { signer: typeof token.signer }).signer = signerOf;
    }
  });

  it('imports and issues a checked file in one batch, recording each request before its certificate', async () => {
    const ders = await Promise.all(['one', 'two', 'three'].map((n) => applicantRequest(`${n}.file.custos.test`)));
    const csrs = parseCsrFile(Buffer.from(ders.map(pem).join(''), 'latin1'));
    const issued = await issueRequests(custos.ctx, 'file.pem', csrs, { caId: rootId, profileId: 'tls-server', validityDays: 30 });
    assert.deepEqual(issued.map((r) => new X509Certificate(Buffer.from(r.certDer)).subject), ['CN=one.file.custos.test', 'CN=two.file.custos.test', 'CN=three.file.custos.test']);
    const entries = custos.journal.read();
    for (const [i, csr] of csrs.entries()) {
      assert.equal(custos.ctx.state.requests.get(csr.sha256)?.signedSerial, issued[i]!.serialHex);
      const imported = entries.findIndex((e) => e.kind === 'request.import' && e.data.requestId === csr.sha256);
      const intent = entries.findIndex((e) => e.kind === 'certificate.issue.intent' && e.data.requestId === csr.sha256);
      assert.ok(imported >= 0 && intent > imported, `request ${i} is recorded before its intent`);
    }
  });

  it('records only requests parseCsrFile checked in this process', async () => {
    const [csr] = parseCsrFile(await applicantRequest('unchecked.custos.test'));
    assert.throws(() => recordRequest(custos.ctx, 'copy.pem', { ...csr! }), (e: unknown) => isCustosError(e) && e.code === 'INPUT_INVALID');
    assert.equal(custos.ctx.state.requests.has(csr!.sha256), false);
  });
});
