/**
 * The preview binds (issue #17): on a real SoftHSM2 token, the root, a leaf
 * and a CRL are signed over exactly the TBS bytes their preview showed, and
 * a preview whose terms, profile or revocations changed since, one too old,
 * one never made and one whose kept file was edited are refused with their
 * own codes, before the journal records any intent.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import * as asn1js from 'asn1js';
import { createSoftHsm, type SoftHsm } from '../../support/softhsm.ts';
import { Custos } from '../../../main/custos.ts';
import { Secret } from '../../../main/secret.ts';
import { createRoot, previewRoot } from '../../../main/ca/root.ts';
import { importRequests } from '../../../main/ca/requests.ts';
import { issueCertificate, previewIssue } from '../../../main/ca/issue.ts';
import { revokeSerial } from '../../../main/ca/revoke.ts';
import { issueCrl, previewCrl } from '../../../main/ca/crl.ts';
import { requestForKey } from '../../../main/ca/key-request.ts';
import { parseSubject } from '../../../main/ca/subject.ts';
import { PREVIEW_MAX_AGE_MS, sha256Hex } from '../../../main/ca/previews.ts';
import { isCustosError } from '../../../main/errors/index.ts';
import { createHandlers } from '../../../main/api/handlers.ts';

const PIN = '246810';

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try { await p; } catch (e) { return isCustosError(e) ? e.code : `untyped: ${String(e)}`; }
  return undefined;
}

/** The TBS inside a signed certificate or CRL: the first element of its outer SEQUENCE, as its bytes stand. */
function signedTbs(der: Uint8Array): Uint8Array {
  const outer = asn1js.fromBER(der).result as asn1js.Sequence;
  return new Uint8Array(outer.valueBlock.value[0]!.valueBeforeDecodeView);
}

describe('what is previewed is what is signed', () => {
  let hsm: SoftHsm;
  let work: string;
  let custos: Custos;
  let tokenId: string;
  let keySpkiSha256: string;
  let rootId: string;
  let clock = Date.now();

  async function applicantRequest(cn: string): Promise<Uint8Array> {
    const k = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return requestForKey({ spki: new Uint8Array(k.publicKey.export({ type: 'spki', format: 'der' })), sign: async (d) => new Uint8Array(nodeSign('sha256', d, { key: k.privateKey, dsaEncoding: 'der' })) },
      parseSubject(`CN=${cn}`), { scheme: 'ecdsa', hash: 'SHA-256' });
  }
  const intents = (): number => custos.journal.read().filter((e) => e.kind.endsWith('.intent')).length;

  before(async () => {
    hsm = await createSoftHsm();
    await hsm.initToken('Binding HSM', '13572468', PIN);
    work = mkdtempSync(join(tmpdir(), 'custos-binding-'));
    custos = Custos.open({ dataDir: join(work, 'home'), rehearsalModules: [hsm.modulePath], operator: 'tester', now: () => new Date(clock) });
    tokenId = (await custos.tokens.list())[0]!.id;
    await custos.login(tokenId, Secret.fromString(PIN));
    keySpkiSha256 = (await custos.generateKey(tokenId, { kind: 'ec', curve: 'P-384' }, 'root')).spkiSha256;
  });

  after(async () => {
    await custos.close();
    rmSync(work, { recursive: true, force: true });
    await hsm.cleanup();
  });

  it('signs the root over the previewed TBS, with the previewed serial', async () => {
    const terms = { tokenId, keySpkiSha256, profileId: 'root-ca', subject: 'C=DE, O=Binding, CN=Binding Root' };
    const { plan, tbsSha256 } = await previewRoot(custos.ctx, terms);
    clock += 5 * 60_000; // the custodians read it aloud for five minutes
    const ca = await createRoot(custos.ctx, { ...terms, name: 'root', tbsSha256 });
    rootId = ca.id;
    assert.deepEqual(signedTbs(ca.certDer), plan.tbsDer);
    assert.equal(sha256Hex(signedTbs(ca.certDer)), tbsSha256);
    const intent = custos.journal.read().find((e) => e.kind === 'ca.root.intent');
    assert.equal(intent?.data.tbsSha256, tbsSha256, 'the journal records the hash that was shown');
    assert.equal(intent?.data.serialHex, plan.preview.serialHex);
  });

  it('refuses a root whose terms changed after the preview, and one never previewed, before any intent', async () => {
    const terms = { tokenId, keySpkiSha256, profileId: 'root-ca', subject: 'CN=Second Root' };
    const { tbsSha256 } = await previewRoot(custos.ctx, terms);
    const before = intents();
    assert.equal(await codeOf(createRoot(custos.ctx, { ...terms, subject: 'CN=Other Root', name: 'second', tbsSha256 })), 'PREVIEW_MISMATCH');
    assert.equal(await codeOf(createRoot(custos.ctx, { ...terms, validityDays: 365, name: 'second', tbsSha256 })), 'PREVIEW_MISMATCH');
    assert.equal(await codeOf(createRoot(custos.ctx, { ...terms, name: 'second', tbsSha256: 'ab'.repeat(32) })), 'PREVIEW_EXPIRED');
    assert.equal(intents(), before, 'nothing was begun');
  });

  it('refuses a preview older than an hour, and a preview signed already', async () => {
    const terms = { tokenId, keySpkiSha256, profileId: 'root-ca', subject: 'CN=Old Root' };
    const { tbsSha256 } = await previewRoot(custos.ctx, terms);
    clock += PREVIEW_MAX_AGE_MS + 1000;
    assert.equal(await codeOf(createRoot(custos.ctx, { ...terms, name: 'old', tbsSha256 })), 'PREVIEW_EXPIRED');
    const fresh = await previewRoot(custos.ctx, terms);
    await createRoot(custos.ctx, { ...terms, name: 'old', tbsSha256: fresh.tbsSha256 });
    assert.equal(await codeOf(createRoot(custos.ctx, { ...terms, name: 'old2', tbsSha256: fresh.tbsSha256 })), 'PREVIEW_EXPIRED', 'a preview is signed once');
  });

  it('refuses a kept preview whose file was edited to another serial, signing nothing', async () => {
    const terms = { tokenId, keySpkiSha256, profileId: 'root-ca', subject: 'CN=Edited Root' };
    const { tbsSha256 } = await previewRoot(custos.ctx, terms);
    const file = join(work, 'home', 'previews', `${tbsSha256}.json`);
    const kept = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...kept, number: '7e57' }));
    const before = intents();
    assert.equal(await codeOf(createRoot(custos.ctx, { ...terms, name: 'edited', tbsSha256 })), 'PREVIEW_MISMATCH');
    writeFileSync(file, '{"kind":"root"');
    assert.equal(await codeOf(createRoot(custos.ctx, { ...terms, name: 'edited', tbsSha256 })), 'PREVIEW_EXPIRED');
    assert.equal(intents(), before);
  });

  it('signs a leaf over the previewed TBS, through the window’s channels too', async () => {
    const [req] = importRequests(custos.ctx, 'leaf.csr', await applicantRequest('leaf.binding.test'));
    const terms = { caId: rootId, requestId: req!.record.id, profileId: 'tls-server' };
    const plan = previewIssue(custos.ctx, terms);
    clock += 60_000;
    const issued = await issueCertificate(custos.ctx, { ...terms, tbsSha256: sha256Hex(plan.tbsDer) });
    assert.deepEqual(signedTbs(issued.certDer), plan.tbsDer);
    assert.equal(issued.serialHex.replace(/^0+/, ''), plan.preview.serialHex.replace(/^0+/, ''));

    const handlers = createHandlers(custos);
    const [other] = importRequests(custos.ctx, 'other.csr', await applicantRequest('other.binding.test'));
    const otherTerms = { caId: rootId, requestId: other!.record.id, profileId: 'tls-server' };
    const shown = await handlers['request.preview'](otherTerms);
    assert.equal(shown.keyOnOpenToken, true);
    assert.equal(await codeOf(handlers['request.sign']({ ...otherTerms, validityDays: 30, tbsSha256: shown.tbsSha256 })), 'PREVIEW_MISMATCH', 'another validity');
    assert.equal(await codeOf(handlers['request.sign']({ ...otherTerms, profileId: 'tls-client', tbsSha256: shown.tbsSha256 })), 'PREVIEW_MISMATCH', 'another profile');
    const signed = await handlers['request.sign']({ ...otherTerms, tbsSha256: shown.tbsSha256 });
    const cert = custos.state.issued.get(rootId)!.get(signed.serialHex)!;
    assert.equal(sha256Hex(signedTbs(cert.certDer)), shown.tbsSha256);
  });

  it('signs a CRL over the previewed TBS, and refuses one previewed before a revocation', async () => {
    const [req] = importRequests(custos.ctx, 'revoked.csr', await applicantRequest('revoked.binding.test'));
    const issued = await issueCertificate(custos.ctx, { caId: rootId, requestId: req!.record.id, profileId: 'tls-server' });
    const before = previewCrl(custos.ctx, { caId: rootId });
    revokeSerial(custos.ctx, { caId: rootId, serialHex: issued.serialHex, reason: 'keyCompromise' });
    const intentsBefore = intents();
    assert.equal(await codeOf(issueCrl(custos.ctx, { caId: rootId, tbsSha256: before.tbsSha256 })), 'PREVIEW_MISMATCH', 'the revocation since is not signed unseen');
    assert.equal(intents(), intentsBefore);
    const plan = previewCrl(custos.ctx, { caId: rootId });
    assert.equal(plan.entries.length, 1);
    clock += 60_000;
    const crl = await issueCrl(custos.ctx, { caId: rootId, tbsSha256: plan.tbsSha256 });
    assert.deepEqual(signedTbs(crl.der), new Uint8Array(plan.tbsDer));
    assert.equal(crl.record.crlNumber, plan.crlNumber.toString());
    assert.equal(await codeOf(issueCrl(custos.ctx, { caId: rootId, tbsSha256: plan.tbsSha256 })), 'PREVIEW_EXPIRED', 'a CRL preview is issued once');
  });

  it('says in the preview that the CA key is on no open token, before anything is signed', async () => {
    const handlers = createHandlers(custos);
    await (await custos.tokens.open(tokenId)).logout();
    await custos.tokens.close(tokenId);
    const crl = await handlers['crl.preview']({ caId: rootId });
    assert.equal(crl.keyOnOpenToken, false);
    assert.ok(crl.findings.some((f) => f.code === 'ca.key_not_on_open_token' && f.severity === 'error'));
    const [ca] = await handlers['ca.list']();
    assert.equal(ca?.keyOnOpenToken, false);
    const [req] = importRequests(custos.ctx, 'late.csr', await applicantRequest('late.binding.test'));
    const shown = await handlers['request.preview']({ caId: rootId, requestId: req!.record.id, profileId: 'tls-server' });
    assert.equal(shown.keyOnOpenToken, false);
    assert.ok(shown.findings.some((f) => f.code === 'ca.key_not_on_open_token'));
    assert.ok(readdirSync(join(work, 'home', 'previews')).length <= 64);
  });
});
