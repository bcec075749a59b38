/**
 * Signed bundles on a real SoftHSM2 token with a temporary journal: a
 * bundle signer certified by the CA signs the manifest of a publishing
 * bundle; the bundle verifies with no token (and with openssl cms -verify),
 * and each way a bundle can go wrong on its way is its own finding.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync, sign as nodeSign, X509Certificate } from 'node:crypto';
import { createSoftHsm, type SoftHsm } from '../../support/softhsm.ts';
import { runTool } from '../../support/openssl.ts';
import { Custos } from '../../../main/custos.ts';
import { Secret } from '../../../main/secret.ts';
import { createRoot } from '../../../main/ca/root.ts';
import { importRequests } from '../../../main/ca/requests.ts';
import { issueCertificate } from '../../../main/ca/issue.ts';
import { issueCrl } from '../../../main/ca/crl.ts';
import { revokeSerial } from '../../../main/ca/revoke.ts';
import { requestForKey } from '../../../main/ca/key-request.ts';
import { parseSubject } from '../../../main/ca/subject.ts';
import { toPem } from '../../../main/pki/formats/index.ts';
import { isCustosError } from '../../../main/errors/index.ts';
import { createBundleSigner, findBundleSigner } from '../../../main/exchange/bundle-signer.ts';
import { createBundle, type BundleResult } from '../../../main/exchange/bundle.ts';
import { verifyBundle } from '../../../main/exchange/bundle-verify.ts';
import { readSignedManifest, signManifest } from '../../../main/exchange/bundle-cms.ts';
import { MANIFEST_FILE } from '../../../main/exchange/bundle-manifest.ts';
import { ReadGrants } from '../../../main/exchange/read-grants.ts';
import { createHandlers } from '../../../main/api/handlers.ts';
import { api } from '../../../main/api/contract.ts';

const PIN = '975310';

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try { await p; } catch (e) { return isCustosError(e) ? e.code : `untyped: ${String(e)}`; }
  return undefined;
}

/** Copies a bundle's folder, so each test spoils its own copy. */
function copyOf(dir: string, into: string): string {
  const copy = join(into, `copy-${Math.random().toString(16).slice(2)}`);
  mkdirSync(copy);
  for (const name of readdirSync(dir)) writeFileSync(join(copy, name), readFileSync(join(dir, name)));
  return copy;
}

describe('signed bundles on SoftHSM2', () => {
  let hsm: SoftHsm;
  let work: string;
  let medium: string;
  let custos: Custos;
  let tokenId: string;
  let rootId: string;
  let rootDer: Uint8Array;
  let leafSerial: string;
  let bundle: BundleResult;

  before(async () => {
    hsm = await createSoftHsm();
    await hsm.initToken('Bundle HSM', '13572468', PIN);
    work = mkdtempSync(join(tmpdir(), 'custos-bundle-'));
    medium = join(work, 'medium');
    mkdirSync(medium);
    custos = Custos.open({ dataDir: join(work, 'home'), pkcs11Modules: [hsm.modulePath], pcsc: false, operator: 'tester' });
    const [listed] = await custos.tokens.list();
    tokenId = listed!.id;
    await custos.login(tokenId, Secret.fromString(PIN));
    const key = await custos.generateKey(tokenId, { kind: 'ec', curve: 'P-384' }, 'root');
    const root = await createRoot(custos.ctx, { tokenId, keySpkiSha256: key.spkiSha256, profileId: 'root-ca', subject: 'C=DE, O=Custos Test, CN=Bundle Root', name: 'bundle-root' });
    rootId = root.id;
    rootDer = root.certDer;
    const applicant = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const csr = await requestForKey({ spki: new Uint8Array(applicant.publicKey.export({ type: 'spki', format: 'der' })), sign: async (d) => new Uint8Array(nodeSign('sha256', d, { key: applicant.privateKey, dsaEncoding: 'der' })) },
      parseSubject('CN=www.bundle.test'), { scheme: 'ecdsa', hash: 'SHA-256' });
    const [req] = importRequests(custos.ctx, 'www.csr', csr);
    leafSerial = (await issueCertificate(custos.ctx, { caId: rootId, requestId: req!.record.id, csr: req!.csr, profileId: 'tls-client' })).serialHex;
    await issueCrl(custos.ctx, { caId: rootId });
    await createBundleSigner(custos.ctx, { caId: rootId, tokenId });
    bundle = await createBundle(custos.ctx, { caId: rootId, directory: medium, name: 'publish-1', serials: [leafSerial] });
  });

  after(async () => {
    await custos?.close();
    rmSync(work, { recursive: true, force: true });
    await hsm?.cleanup();
  });

  it('writes the certificates named, the chain and the latest CRL, and the signed manifest last, as a production bundle', () => {
    const names = readdirSync(bundle.path).sort();
    assert.deepEqual(names, [...bundle.files.map((f) => f.name), MANIFEST_FILE].sort());
    assert.ok(bundle.files.some((f) => f.name.endsWith('.crl')), 'the latest CRL');
    assert.ok(bundle.files.some((f) => f.name.includes('chain')), 'the chain');
    assert.ok(bundle.files.some((f) => f.name.includes(leafSerial.slice(0, 16))), 'the certificate named');
    assert.equal(bundle.rehearsal, false);
  });

  it('a bundle verifies with no token: signature, signer certified by the CA for bundles, chain to the given root, every file whole', async () => {
    const report = await verifyBundle(bundle.path, { rootDer });
    assert.deepEqual(report.problems, []);
    assert.equal(report.ok, true);
    assert.equal(report.rootGiven, true);
    assert.equal(report.ca?.sha256, rootId);
    assert.equal(report.signer?.serialHex.replace(/^0+/, ''), bundle.signerSerial.replace(/^0+/, ''));
    assert.ok(report.files.every((f) => f.status === 'ok'));
  });

  it('openssl cms -verify verifies the same manifest against the root alone, and gives back the manifest that was signed', async () => {
    const der = readFileSync(join(bundle.path, MANIFEST_FILE));
    // A bundle signer is for document signing (RFC 9336), not S/MIME mail: -purpose any lets OpenSSL leave its mail default aside.
    const r = await runTool('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'manifest.p7s', '-CAfile', 'root.pem', '-purpose', 'any', '-out', 'manifest.json'],
      { files: { 'manifest.p7s': der, 'root.pem': toPem(rootDer, 'CERTIFICATE') }, outputs: ['manifest.json'] });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Verification successful/);
    const manifest = JSON.parse(Buffer.from(r.outputs['manifest.json']!).toString('utf8'));
    assert.equal(manifest.files.length, bundle.files.length);
    assert.equal(manifest.rehearsal, false);
  });

  it('openssl cms -verify refuses the manifest once one byte of it is changed', async () => {
    const der = Buffer.from(readFileSync(join(bundle.path, MANIFEST_FILE)));
    const at = der.indexOf(Buffer.from('"files"'));
    der[at + 2]! ^= 0x01;
    const r = await runTool('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'manifest.p7s', '-CAfile', 'root.pem', '-purpose', 'any', '-out', 'manifest.json'],
      { files: { 'manifest.p7s': der, 'root.pem': toPem(rootDer, 'CERTIFICATE') } });
    assert.notEqual(r.code, 0);
    const report = await verifyBundle(copyWithManifest(der));
    assert.equal(report.problems[0]?.code, 'BUNDLE_SIGNATURE_INVALID');
  });

  function copyWithManifest(der: Uint8Array): string {
    const copy = copyOf(bundle.path, work);
    writeFileSync(join(copy, MANIFEST_FILE), der);
    return copy;
  }

  it('a bundle fails verification after one byte of one file is changed', async () => {
    const copy = copyOf(bundle.path, work);
    const victim = bundle.files[0]!.name;
    const bytes = readFileSync(join(copy, victim));
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    writeFileSync(join(copy, victim), bytes);
    const report = await verifyBundle(copy, { rootDer });
    assert.equal(report.ok, false);
    assert.deepEqual(report.problems.map((p) => [p.code, p.file]), [['BUNDLE_FILE_TAMPERED', victim]]);
  });

  it('a file cut short is tampered; a file removed is missing; a file added is extra', async () => {
    const short = copyOf(bundle.path, work);
    truncateSync(join(short, bundle.files[1]!.name), 10);
    assert.deepEqual((await verifyBundle(short)).problems.map((p) => p.code), ['BUNDLE_FILE_TAMPERED']);
    const missing = copyOf(bundle.path, work);
    unlinkSync(join(missing, bundle.files[0]!.name));
    assert.deepEqual((await verifyBundle(missing)).problems.map((p) => [p.code, p.file]), [['BUNDLE_FILE_MISSING', bundle.files[0]!.name]]);
    const extra = copyOf(bundle.path, work);
    writeFileSync(join(extra, 'also-trust-me.pem'), 'not signed');
    assert.deepEqual((await verifyBundle(extra)).problems.map((p) => [p.code, p.file]), [['BUNDLE_FILE_EXTRA', 'also-trust-me.pem']]);
  });

  it('a listed file replaced by a symbolic link to the same bytes is missing; a folder slipped in is extra', async () => {
    const linked = copyOf(bundle.path, work);
    const name = bundle.files[0]!.name;
    writeFileSync(join(work, 'elsewhere.pem'), readFileSync(join(linked, name)));
    unlinkSync(join(linked, name));
    symlinkSync(join(work, 'elsewhere.pem'), join(linked, name));
    assert.deepEqual((await verifyBundle(linked)).problems.map((p) => [p.code, p.file]), [['BUNDLE_FILE_MISSING', name]]);
    const nested = copyOf(bundle.path, work);
    mkdirSync(join(nested, 'more'));
    assert.deepEqual((await verifyBundle(nested)).problems.map((p) => [p.code, p.file]), [['BUNDLE_FILE_EXTRA', 'more']]);
  });

  it('a file slipped in under the name of the manifest\'s temporary is extra; the temporary a cut-off write leaves, the manifest\'s own bytes, is not', async () => {
    const temporary = `.${MANIFEST_FILE}.custos-tmp-4242-0123abcd`;
    const leftover = copyOf(bundle.path, work);
    writeFileSync(join(leftover, temporary), readFileSync(join(leftover, MANIFEST_FILE)));
    assert.deepEqual((await verifyBundle(leftover)).problems, []);
    const disguised = copyOf(bundle.path, work);
    writeFileSync(join(disguised, temporary), 'not signed');
    assert.deepEqual((await verifyBundle(disguised)).problems.map((p) => [p.code, p.file]), [['BUNDLE_FILE_EXTRA', temporary]]);
    const grown = copyOf(bundle.path, work);
    writeFileSync(join(grown, temporary), Buffer.concat([readFileSync(join(grown, MANIFEST_FILE)), Buffer.from('more')]));
    assert.deepEqual((await verifyBundle(grown)).problems.map((p) => [p.code, p.file]), [['BUNDLE_FILE_EXTRA', temporary]]);
  });

  it('a truncated manifest is malformed; a folder without one is incomplete', async () => {
    const cut = copyOf(bundle.path, work);
    const size = readFileSync(join(cut, MANIFEST_FILE)).length;
    truncateSync(join(cut, MANIFEST_FILE), Math.floor(size / 2));
    assert.deepEqual((await verifyBundle(cut)).problems.map((p) => p.code), ['BUNDLE_MANIFEST_MALFORMED']);
    const trailing = copyOf(bundle.path, work);
    appendFileSync(join(trailing, MANIFEST_FILE), Buffer.from([0]));
    assert.deepEqual((await verifyBundle(trailing)).problems.map((p) => p.code), ['BUNDLE_MANIFEST_MALFORMED']);
    const none = copyOf(bundle.path, work);
    unlinkSync(join(none, MANIFEST_FILE));
    assert.deepEqual((await verifyBundle(none)).problems.map((p) => p.code), ['BUNDLE_MANIFEST_MISSING']);
  });

  it('a manifest signed by the CA key itself is refused, and no signer is made from a CA key', async () => {
    const signed = await readSignedManifest(readFileSync(join(bundle.path, MANIFEST_FILE)));
    const caKey = await custos.tokens.requireKey(custos.state.cas.get(rootId)!.keySpkiSha256, 'the root');
    const byCa = await signManifest(signed.content, caKey.token.signer(caKey.key), rootDer, [rootDer], new Date());
    const report = await verifyBundle(copyWithManifest(byCa), { rootDer });
    assert.deepEqual(report.problems.map((p) => p.code), ['BUNDLE_SIGNER_IS_CA']);
    assert.equal(await codeOf(createBundleSigner(custos.ctx, { caId: rootId, tokenId, keySpkiSha256: caKey.key.spkiSha256 })), 'BUNDLE_SIGNER_IS_CA');
  });

  it('a manifest signed by a key the CA never certified is refused as an unknown signer, even one another CA made a bundle signer', async () => {
    const key = await custos.generateKey(tokenId, { kind: 'ec', curve: 'P-384' }, 'stranger root');
    const stranger = await createRoot(custos.ctx, { tokenId, keySpkiSha256: key.spkiSha256, profileId: 'root-ca', subject: 'CN=Stranger Root', name: 'stranger' });
    await createBundleSigner(custos.ctx, { caId: stranger.id, tokenId, label: 'stranger signer' });
    const strangerSigner = await findBundleSigner(custos.ctx, stranger.id);
    const signed = await readSignedManifest(readFileSync(join(bundle.path, MANIFEST_FILE)));
    const forged = await signManifest(signed.content, strangerSigner.token.signer(strangerSigner.key), strangerSigner.certificate.certDer, [rootDer], new Date());
    const report = await verifyBundle(copyWithManifest(forged), { rootDer });
    assert.deepEqual(report.problems.map((p) => p.code), ['BUNDLE_SIGNER_UNKNOWN']);
  });

  it('a manifest signed by a key the CA certified for another purpose (code signing) is refused for its purpose', async () => {
    const key = await custos.generateKey(tokenId, { kind: 'ec', curve: 'P-256' }, 'code signer');
    const token = await custos.tokens.open(tokenId);
    const csr = await requestForKey(token.signer(key), parseSubject('CN=Release Signing'), { scheme: 'ecdsa', hash: 'SHA-256' });
    const [req] = importRequests(custos.ctx, 'code.csr', csr);
    const codeSigner = await issueCertificate(custos.ctx, { caId: rootId, requestId: req!.record.id, csr: req!.csr, profileId: 'code-signing' });
    const signed = await readSignedManifest(readFileSync(join(bundle.path, MANIFEST_FILE)));
    const byCodeSigner = await signManifest(signed.content, token.signer(key), codeSigner.certDer, [rootDer], new Date());
    const report = await verifyBundle(copyWithManifest(byCodeSigner), { rootDer });
    assert.deepEqual(report.problems.map((p) => p.code), ['BUNDLE_SIGNER_PURPOSE']);
    assert.match(report.problems[0]!.message, /id-kp-documentSigning/);
  });

  it('a bundle checked against another root than its own fails with the root named', async () => {
    const other = await createRoot(custos.ctx, {
      tokenId, keySpkiSha256: (await custos.generateKey(tokenId, { kind: 'ec', curve: 'P-384' }, 'other root')).spkiSha256, profileId: 'root-ca', subject: 'CN=Other Root', name: 'other',
    });
    const report = await verifyBundle(bundle.path, { rootDer: other.certDer });
    assert.deepEqual(report.problems.map((p) => p.code), ['BUNDLE_ROOT_MISMATCH']);
    assert.equal(new X509Certificate(other.certDer).subject.includes('Other Root'), true);
  });

  it('journals the bundle: its intent names the manifest\'s SHA-256 and every file before the token signs, its result the path', () => {
    const entries = custos.journal.read();
    const intent = entries.find((e) => e.kind === 'bundle.write.intent')!;
    const done = entries.find((e) => e.kind === 'bundle.write.done' && e.intent === intent.seq)!;
    assert.match(String(intent.data.manifestSha256), /^[0-9a-f]{64}$/);
    assert.deepEqual((intent.data.files as { name: string }[]).map((f) => f.name), bundle.files.map((f) => f.name));
    assert.equal(done.data.path, bundle.path);
    assert.equal(done.data.manifestP7sSha256, bundle.manifestSha256);
  });

  it('bundle.create and bundle.verify through the contract: only on a removable medium, answers in the contract\'s shape', async () => {
    const handlers = createHandlers(custos, { readGrants: new ReadGrants(async () => [medium]) });
    assert.equal(await codeOf(handlers['bundle.create']({ caId: rootId, directory: work, name: 'off-medium' })), 'PATH_NOT_PERMITTED');
    assert.equal(await codeOf(handlers['bundle.verify']({ directory: join(work, 'home') })), 'PATH_NOT_PERMITTED');
    const written = api['bundle.create'].output.parse(await handlers['bundle.create']({ caId: rootId, directory: medium, name: 'through-the-window' }));
    assert.equal(written.path, join(medium, 'through-the-window'));
    const report = api['bundle.verify'].output.parse(await handlers['bundle.verify']({ directory: written.path, rootCaId: rootId }));
    assert.equal(report.ok, true, JSON.stringify(report.problems));
    assert.equal(report.rootGiven, true);
  });

  it('refuses a bundle folder that exists already before anything is signed or journaled', async () => {
    const before = custos.journal.lastSeq;
    assert.equal(await codeOf(createBundle(custos.ctx, { caId: rootId, directory: medium, name: 'publish-1' })), 'FILE_EXISTS');
    assert.equal(custos.journal.lastSeq, before);
  });

  it('asks for a login to the signer\'s token before anything is journaled or signed', async () => {
    await custos.logout(tokenId);
    const before = custos.journal.lastSeq;
    // A logged-out PKCS#11 token shows no private key: the signer's key is found on no open token, and the message says to log in.
    await assert.rejects(createBundle(custos.ctx, { caId: rootId, directory: medium, name: 'logged-out' }),
      (e: unknown) => isCustosError(e) && e.code === 'BUNDLE_SIGNER_NOT_FOUND' && /log in/.test(e.message));
    assert.equal(custos.journal.lastSeq, before);
    assert.deepEqual(readdirSync(medium).filter((n) => n === 'logged-out'), []);
  });

  // Last: it revokes the one signer the other tests use.
  it('signs no bundle with a signer the CA revoked, though its key is on the token: nothing journaled, nothing written', async () => {
    await custos.login(tokenId, Secret.fromString(PIN));
    const signer = await findBundleSigner(custos.ctx, rootId);
    revokeSerial(custos.ctx, { caId: rootId, serialHex: signer.certificate.serialHex, reason: 'keyCompromise' });
    const before = custos.journal.lastSeq;
    await assert.rejects(createBundle(custos.ctx, { caId: rootId, directory: medium, name: 'after-revocation' }),
      (e: unknown) => isCustosError(e) && e.code === 'BUNDLE_SIGNER_NOT_FOUND' && /no valid bundle signer/.test(e.message));
    assert.equal(custos.journal.lastSeq, before);
    assert.deepEqual(readdirSync(medium).filter((n) => n === 'after-revocation'), []);
  });
});
