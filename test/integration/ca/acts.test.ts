/**
 * The CA acts on a real SoftHSM2 token with a temporary journal: what the
 * journal records, CRL numbers that only grow, the CRL policy a CA profile
 * names, exports that never overwrite, and the checks before a signature.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { createSoftHsm, type SoftHsm } from '../../support/softhsm.ts';
import { Custos } from '../../../main/custos.ts';
import { Secret } from '../../../main/secret.ts';
import { createRoot } from '../../../main/ca/root.ts';
import { importRequests, loadRequest } from '../../../main/ca/requests.ts';
import { issueCertificate } from '../../../main/ca/issue.ts';
import { revokeSerial } from '../../../main/ca/revoke.ts';
import { issueCrl } from '../../../main/ca/crl.ts';
import { exportCertificate } from '../../../main/ca/export.ts';
import { requestForKey } from '../../../main/ca/key-request.ts';
import { parseSubject } from '../../../main/ca/subject.ts';
import { parseCrl } from '../../../main/pki/x509/crl.ts';
import { DEFAULT_PROFILE_DIR } from '../../../main/pki/x509/profiles.ts';
import { isCustosError } from '../../../main/errors/index.ts';
import { createHandlers } from '../../../main/api/handlers.ts';
import { RequestSummary } from '../../../main/api/contract.ts';

const PIN = '246810';

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try { await (typeof p === 'function' ? p() : p); } catch (e) { return isCustosError(e) ? e.code : `untyped: ${String(e)}`; }
  return undefined;
}

describe('CA acts on SoftHSM2', () => {
  let hsm: SoftHsm;
  let work: string;
  let custos: Custos;
  let tokenId: string;
  let rootId: string;

  async function applicantRequest(cn: string): Promise<Uint8Array> {
    const k = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return requestForKey({ spki: new Uint8Array(k.publicKey.export({ type: 'spki', format: 'der' })), sign: async (d) => new Uint8Array(nodeSign('sha256', d, { key: k.privateKey, dsaEncoding: 'der' })) },
      parseSubject(`CN=${cn}`), { scheme: 'ecdsa', hash: 'SHA-256' });
  }

  before(async () => {
    hsm = await createSoftHsm();
    await hsm.initToken('Acts HSM', '13572468', PIN);
    work = mkdtempSync(join(tmpdir(), 'custos-acts-'));
    // A profile folder where the root profile names a CRL policy: 30-day CRLs with an issuing distribution point.
    const profiles = join(work, 'profiles');
    cpSync(DEFAULT_PROFILE_DIR, profiles, { recursive: true });
    const root = JSON.parse(readFileSync(join(profiles, 'root-ca.json'), 'utf8'));
    root.crl = { nextUpdateDays: 30, issuingDistributionPoint: 'http://crl.custos.test/root.crl' };
    writeFileSync(join(profiles, 'root-ca.json'), JSON.stringify(root));
    custos = Custos.open({ dataDir: join(work, 'home'), rehearsalModules: [hsm.modulePath], operator: 'tester', profileDir: profiles });
    const [listed] = await custos.tokens.list();
    assert.ok(listed, 'the SoftHSM token is listed');
    tokenId = listed.id;
    await custos.login(tokenId, Secret.fromString(PIN));
    const key = await custos.generateKey(tokenId, { kind: 'ec', curve: 'P-384' }, 'root');
    rootId = (await createRoot(custos.ctx, { tokenId, keySpkiSha256: key.spkiSha256, profileId: 'root-ca', subject: 'CN=Acts Root', name: 'root' })).id;
  });

  after(async () => {
    await custos.close();
    rmSync(work, { recursive: true, force: true });
    await hsm.cleanup();
  });

  it('records intent before and result after each signature, naming the VIRTUAL token', () => {
    const kinds = custos.journal.read().map((e) => e.kind);
    const intent = kinds.indexOf('ca.root.intent');
    assert.ok(intent >= 0 && kinds[intent + 1] === 'ca.root.done', kinds.join(','));
    const entry = custos.journal.read()[intent]!;
    assert.match(String(entry.data.tbsSha256), /^[0-9a-f]{64}$/);
    assert.equal(entry.token?.virtual, true);
    assert.equal(entry.token?.label, 'Acts HSM');
  });

  it('never puts the PIN in the journal', () => {
    assert.ok(!readFileSync(join(work, 'home', 'journal.jsonl'), 'utf8').includes(PIN));
  });

  it('refuses a second CA with the same name and a key that is not on the token', async () => {
    assert.equal(await codeOf(createRoot(custos.ctx, { tokenId, keySpkiSha256: 'ab'.repeat(32), profileId: 'root-ca', subject: 'CN=Other', name: 'other' })), 'KEY_NOT_FOUND');
    const key = (await (await custos.tokens.open(tokenId)).listKeys())[0]!;
    assert.equal(await codeOf(createRoot(custos.ctx, { tokenId, keySpkiSha256: key.spkiSha256, profileId: 'root-ca', subject: 'CN=Again', name: 'root' })), 'CA_EXISTS');
  });

  it('writes the issuing distribution point and next update its profile names, with CRL numbers that only grow', async () => {
    const first = await issueCrl(custos.ctx, { caId: rootId });
    const second = await issueCrl(custos.ctx, { caId: rootId });
    assert.equal(first.record.crlNumber, '1');
    assert.equal(second.record.crlNumber, '2');
    const parsed = parseCrl(second.der);
    assert.deepEqual(parsed.issuingDistributionPointUris, ['http://crl.custos.test/root.crl']);
    const days = (parsed.nextUpdate!.getTime() - parsed.thisUpdate.getTime()) / 86_400_000;
    assert.equal(Math.round(days), 30);
  });

  it('asks for the CA key when no logged-in token holds it, leaving no gap in CRL numbers', async () => {
    const token = await custos.tokens.open(tokenId);
    await token.logout();
    assert.equal(await codeOf(issueCrl(custos.ctx, { caId: rootId })), 'KEY_NOT_FOUND');
    await custos.login(tokenId, Secret.fromString(PIN));
    const next = await issueCrl(custos.ctx, { caId: rootId });
    assert.equal(next.record.crlNumber, '3');
  });

  it('signs a request, lists the revocation in the next CRL, and never overwrites an export', async () => {
    const [req] = importRequests(custos.ctx, 'app.csr.der', await applicantRequest('app.custos.test'));
    const issued = await issueCertificate(custos.ctx, { caId: rootId, requestId: req!.record.id, profileId: 'subordinate-ca', name: 'sub' });
    revokeSerial(custos.ctx, { caId: rootId, serialHex: issued.serialHex, reason: 'superseded' });
    const crl = await issueCrl(custos.ctx, { caId: rootId });
    assert.deepEqual(parseCrl(crl.der).entries.map((e) => e.serialHex.replace(/^0+/, '')), [issued.serialHex.replace(/^0+/, '')]);
    const dir = join(work, 'usb');
    const first = await exportCertificate(custos.ctx, { caId: rootId, serialHex: issued.serialHex, format: 'pem', directory: dir });
    assert.equal(await codeOf(exportCertificate(custos.ctx, { caId: rootId, serialHex: issued.serialHex, format: 'pem', directory: dir })), 'FILE_EXISTS');
    const pem = readFileSync(first.path, 'utf8');
    assert.match(pem, /^Custos rehearsal artifact: signed with a VIRTUAL token/);
    assert.match(pem, /\n-----BEGIN CERTIFICATE-----\n/);
    const metadata = JSON.parse(readFileSync(`${first.path}.custos.json`, 'utf8'));
    assert.equal(metadata.virtual, true);
    assert.equal(metadata.serialHex, issued.serialHex);
    const x = spawnSync('openssl', ['x509', '-noout', '-serial', '-in', first.path], { encoding: 'utf8' });
    assert.equal(x.stdout.trim().toLowerCase(), `serial=${issued.serialHex}`);
  });

  it('gives every certificate a serial unused in the journal, and asks for a CA key no open token holds', async () => {
    const sub = [...custos.state.cas.values()].find((c) => c.name === 'sub');
    assert.ok(sub);
    const issued: string[] = [];
    for (let i = 0; i < 5; i++) {
      const [req] = importRequests(custos.ctx, `leaf${i}.csr.der`, await applicantRequest(`leaf${i}.custos.test`));
      // The subordinate's key is not on any token: signing under it must say so.
      assert.equal(await codeOf(issueCertificate(custos.ctx, { caId: sub.id, requestId: req!.record.id, profileId: 'tls-server' })), 'KEY_NOT_FOUND');
      issued.push((await issueCertificate(custos.ctx, { caId: rootId, requestId: req!.record.id, profileId: 'crl-signer' })).serialHex);
    }
    // Every serial ever reserved by an intent, read from the journal itself (not from a map that would merge duplicates).
    const reserved = custos.journal.read()
      .filter((e) => (e.kind === 'certificate.issue.intent' || e.kind === 'ca.root.intent'))
      .map((e) => String(e.data.serialHex).toLowerCase().replace(/^(00)+/, ''));
    assert.equal(new Set(reserved).size, reserved.length, 'no serial was reserved twice');
    for (const s of issued) assert.ok(reserved.includes(s.replace(/^(00)+/, '')), `serial ${s} was reserved before it was signed`);
  });

  it('keeps an imported request in the journal: it is listed and read again with no file beside the journal', async () => {
    const [imported] = importRequests(custos.ctx, 'listed.csr.der', await applicantRequest('listed.custos.test'));
    assert.equal(existsSync(join(work, 'home', 'requests')), false, 'no request file is written');
    const handlers = createHandlers(custos);
    const listed = (await handlers['request.list']()).find((r) => r.id === imported!.record.id);
    assert.deepEqual(listed && { keySpec: listed.keySpec, subject: listed.subject }, { keySpec: { kind: 'ec', curve: 'P-256' }, subject: 'CN=listed.custos.test' });
    const read = await handlers['request.get']({ requestId: imported!.record.id });
    assert.equal(read.description.sha256, imported!.record.id);
  });

  it('signs through the API exactly the certificate request.preview showed, and only a preview it still holds', async () => {
    const [imported] = importRequests(custos.ctx, 'api.csr.der', await applicantRequest('api.custos.test'));
    const handlers = createHandlers(custos);
    const terms = { requestId: imported!.record.id, caId: rootId, profileId: 'tls-server', validityDays: 30 };
    assert.equal(await codeOf(handlers['request.sign']({ ...terms, tbsSha256: 'ab'.repeat(32) })), 'PREVIEW_EXPIRED');
    const shown = await handlers['request.preview'](terms);
    const signed = await handlers['request.sign']({ ...terms, tbsSha256: shown.tbsSha256 });
    assert.equal(signed.serialHex, (shown.preview as { serialHex: string }).serialHex);
    const intent = custos.journal.read().find((e) => e.kind === 'certificate.issue.intent' && e.data.requestId === terms.requestId);
    assert.equal(intent?.data.tbsSha256, shown.tbsSha256, 'the journal records the TBS the preview showed');
  });

  it('lists a request for an RSA key larger than any a CA key may be as what it is', async () => {
    const k = generateKeyPairSync('rsa', { modulusLength: 4608 });
    const der = await requestForKey({ spki: new Uint8Array(k.publicKey.export({ type: 'spki', format: 'der' })), sign: async (d) => new Uint8Array(nodeSign('sha256', d, k.privateKey)) },
      parseSubject('CN=big.custos.test'), { scheme: 'rsa-pkcs1', hash: 'SHA-256' });
    const handlers = createHandlers(custos);
    const [summary] = await handlers['request.import']({ fileName: 'big.csr', contentBase64: Buffer.from(der).toString('base64') });
    assert.deepEqual(summary?.keySpec, { kind: 'rsa', bits: 4608 });
    assert.doesNotThrow(() => RequestSummary.parse(summary), 'the API contract describes what the API returns');
    assert.deepEqual((await handlers['request.list']()).find((r) => r.id === summary!.id)?.keySpec, { kind: 'rsa', bits: 4608 });
  });

  it('reads a request an older journal kept in a file, and says FILE_NOT_FOUND when that file is gone', async () => {
    const der = await applicantRequest('legacy.custos.test');
    const requestId = createHash('sha256').update(der).digest('hex');
    const file = join(work, 'legacy-request.der');
    writeFileSync(file, der);
    // The entry as journals wrote it before requests were kept in the journal.
    custos.journal.append('request.import', { requestId, fileName: 'legacy.csr', file, subject: 'CN=legacy.custos.test' });
    const handlers = createHandlers(custos);
    assert.equal((await handlers['request.get']({ requestId })).description.subject, 'CN=legacy.custos.test');
    rmSync(file);
    assert.equal(await codeOf(handlers['request.get']({ requestId })), 'FILE_NOT_FOUND');
  });

  it('reopens to the same state from the journal alone, certificates and requests read back from it', async () => {
    const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
    // The bytes of each certificate and request kept in the journal, by the hash they were recorded under.
    const kept = (c: Custos) => ({
      certificates: [...c.state.issued.get(rootId)!.values()].map((r) => [r.serialHex, sha256(r.certDer), r.sha256]).sort(),
      requests: [...c.state.requests.values()].filter((r) => r.importSeq !== undefined).map((r) => [r.id, sha256(loadRequest(c.ctx, r.id).csr.der)]).sort(),
    });
    const before = { cas: [...custos.state.cas.keys()].sort(), issued: [...custos.state.issued.get(rootId)!.keys()].sort(), crl: custos.state.lastCrlNumber.get(rootId), ...kept(custos) };
    assert.ok(before.certificates.length > 1 && before.requests.length > 0);
    for (const [, bytesHash, recorded] of before.certificates) assert.equal(bytesHash, recorded);
    for (const [id, bytesHash] of before.requests) assert.equal(bytesHash, id);
    await custos.close();
    custos = Custos.open({ dataDir: join(work, 'home'), rehearsalModules: [hsm.modulePath], operator: 'tester' });
    assert.deepEqual({ cas: [...custos.state.cas.keys()].sort(), issued: [...custos.state.issued.get(rootId)!.keys()].sort(), crl: custos.state.lastCrlNumber.get(rootId), ...kept(custos) }, before);
  });
});
