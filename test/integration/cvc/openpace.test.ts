/**
 * The CVC authority on a real SoftHSM2 token, judged by OpenPACE's own tools:
 * cvc-print reads every certificate and request Custos writes, and with
 * --cvc-dir (the issuers' certificates, each in a file named by its CHR)
 * prints "certificate verified" for each link of a CVCA → DV → terminal chain
 * and "not verified" once a byte is changed; a rollover's link certificate
 * verifies under the old CVCA; certificates cvc-create made import and verify.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { createSoftHsm, type SoftHsm } from '../../support/softhsm.ts';
import { Custos } from '../../../main/custos.ts';
import { Secret } from '../../../main/secret.ts';
import { isCustosError } from '../../../main/errors/index.ts';
import { CVC_OID, cvcPublicKeyFromKeyObject, decodeCvCertificate, encodeCvCertificate, encodeCvcBody, signCvc } from '../../../main/pki/cvc/cvc.ts';
import { initCvca, makeCvcRequest, previewCvcCertificate, signCvcCertificate } from '../../../main/cvc/acts.ts';
import { importCvcCertificates, importCvcRequest } from '../../../main/cvc/import.ts';
import { exportCvcChain, exportCvcCertificate, exportCvcRequest } from '../../../main/cvc/export.ts';
import { cvcStateOf, type CvcCertificateRecord } from '../../../main/cvc/state.ts';

const PIN = '246810';

function cvcPrint(args: readonly string[]): { out: string; status: number | null } {
  const r = spawnSync('cvc-print', args, { encoding: 'utf8' });
  return { out: `${r.stdout}${r.stderr}`, status: r.status };
}

/** The lines cvc-print ends with after checking a certificate against --cvc-dir. */
function verdict(out: string): string {
  return /certificate (not )?verified/.exec(out)?.[0] ?? `no verdict in: ${out}`;
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try { await p; } catch (e) { return isCustosError(e) ? e.code : `untyped: ${String(e)}`; }
  return undefined;
}

/** A terminal's own request, made outside Custos with its own key: a plain 7F21 signed by that key. */
function terminalRequest(chr: string): Uint8Array {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const bodyRaw = encodeCvcBody({ cpi: 0, publicKey: cvcPublicKeyFromKeyObject(publicKey, CVC_OID['id-TA-ECDSA-SHA-256'], true), chr });
  return encodeCvCertificate(bodyRaw, signCvc(bodyRaw, privateKey, CVC_OID['id-TA-ECDSA-SHA-256']));
}

describe('CVC authority on SoftHSM2, checked by OpenPACE', () => {
  let hsm: SoftHsm;
  let work: string;
  let custos: Custos;
  let tokenId: string;
  let cvca: CvcCertificateRecord;
  let dv: CvcCertificateRecord;
  let terminal: CvcCertificateRecord;

  before(async () => {
    hsm = await createSoftHsm();
    await hsm.initToken('CVC HSM', '13572468', PIN);
    work = mkdtempSync(join(tmpdir(), 'custos-cvc-'));
    custos = Custos.open({ dataDir: join(work, 'home'), rehearsalModules: [hsm.modulePath], operator: 'tester' });
    tokenId = (await custos.tokens.list())[0]!.id;
    await custos.login(tokenId, Secret.fromString(PIN));
    const ctx = custos.ctx;
    const cvcaKey = await custos.generateKey(tokenId, { kind: 'ec', curve: 'P-256' }, 'cvca');
    cvca = await initCvca(ctx, { tokenId, keySpkiSha256: cvcaKey.spkiSha256, chr: 'UTCVCA00001', validityDays: 1000 });
    const dvKey = await custos.generateKey(tokenId, { kind: 'ec', curve: 'P-256' }, 'dv');
    const dvRequest = await makeCvcRequest(ctx, { tokenId, keySpkiSha256: dvKey.spkiSha256, chr: 'UTDVCUSTOS00001', car: 'UTCVCA00001' });
    const dvImported = importCvcRequest(ctx.journal, 'UTDVCUSTOS00001.cvreq', dvRequest).record;
    dv = await signCvcCertificate(ctx, { issuer: cvca.id, profileId: 'dv-domestic', requestId: dvImported.id, authorizations: ['read-dg1', 'read-dg2', 'age-verification'] });
    const termImported = importCvcRequest(ctx.journal, 'UTTERM00001.cvreq', terminalRequest('UTTERM000001')).record;
    terminal = await signCvcCertificate(ctx, { issuer: dv.id, profileId: 'terminal-at', requestId: termImported.id, validityDays: 30 });
  });

  after(async () => {
    await custos.close();
    rmSync(work, { recursive: true, force: true });
    await hsm.cleanup();
  });

  it('cvc-print verifies each link of the CVCA → DV → terminal chain Custos exported as a folder', async () => {
    const exported = await exportCvcChain(custos.ctx, { certificate: terminal.id, form: 'folder', directory: join(work, 'out') });
    assert.deepEqual(readdirSync(exported.path).filter((n) => n.endsWith('.cvcert')).sort(), ['UTCVCA00001.cvcert', 'UTDVCUSTOS00001.cvcert', 'UTTERM000001.cvcert']);
    const trusted = join(work, 'trusted');
    mkdirSync(trusted);
    for (const chr of ['UTCVCA00001', 'UTDVCUSTOS00001', 'UTTERM000001']) {
      const file = join(exported.path, `${chr}.cvcert`);
      // The CVCA is its own issuer: it is looked up in the folder by its CHR like any other.
      if (chr === 'UTCVCA00001') copyFileSync(file, join(trusted, chr));
      const printed = cvcPrint(['--cvc', file, '--cvc-dir', trusted]);
      assert.match(printed.out, new RegExp(`CHR: ${chr}`));
      assert.equal(verdict(printed.out), 'certificate verified', `${chr}: ${printed.out}`);
      if (chr !== 'UTCVCA00001') copyFileSync(file, join(trusted, chr));
      const metadata = JSON.parse(readFileSync(`${file}.custos.json`, 'utf8'));
      assert.equal(metadata.sha256, createHash('sha256').update(readFileSync(file)).digest('hex'), `${chr}: its .custos.json names its bytes`);
      assert.deepEqual(metadata.chain, ['UTCVCA00001', 'UTDVCUSTOS00001', 'UTTERM000001']);
    }
  });

  it('cvc-print says "not verified" for a certificate with one byte of its signature changed', () => {
    const dir = join(work, 'tampered');
    mkdirSync(dir);
    writeFileSync(join(dir, 'UTCVCA00001'), cvca.raw);
    writeFileSync(join(dir, 'UTDVCUSTOS00001'), dv.raw);
    const bytes = Uint8Array.from(terminal.raw);
    bytes[bytes.length - 5]! ^= 0x01;
    writeFileSync(join(dir, 'term.cvcert'), bytes);
    assert.equal(verdict(cvcPrint(['--cvc', join(dir, 'term.cvcert'), '--cvc-dir', dir]).out), 'certificate not verified');
    writeFileSync(join(dir, 'term-ok.cvcert'), terminal.raw);
    assert.equal(verdict(cvcPrint(['--cvc', join(dir, 'term-ok.cvcert'), '--cvc-dir', dir]).out), 'certificate verified');
  });

  it('cvc-print reads the certificates and requests Custos exports, named by CHR', async () => {
    const dir = join(work, 'single');
    const cert = await exportCvcCertificate(custos.ctx, { certificate: dv.id, directory: dir });
    assert.equal(cert.path, join(dir, 'UTDVCUSTOS00001.cvcert'));
    const printedCert = cvcPrint(['--cvc', cert.path]);
    assert.match(printedCert.out, /CAR: UTCVCA00001/);
    assert.match(printedCert.out, /DV certificate/);
    for (const request of cvcStateOf(custos.journal).requests.values()) {
      const exported = await exportCvcRequest(custos.ctx, { request: request.id, directory: dir });
      assert.equal(exported.path, join(dir, `${request.chr}.cvreq`));
      const printed = cvcPrint(['--csr', exported.path]);
      assert.equal(printed.status, 0, printed.out);
      assert.match(printed.out, new RegExp(`CHR: ${request.chr}`));
    }
    const metadata = JSON.parse(readFileSync(`${cert.path}.custos.json`, 'utf8'));
    assert.equal(metadata.chr, 'UTDVCUSTOS00001');
    assert.equal(metadata.virtual, true, 'a SoftHSM2 rehearsal token signed it');
  });

  it('never overwrites an exported file: a second export to the same folder is FILE_EXISTS and leaves the first', async () => {
    const dir = join(work, 'twice');
    const first = await exportCvcCertificate(custos.ctx, { certificate: cvca.id, directory: dir });
    const before = readFileSync(first.path);
    assert.equal(await codeOf(exportCvcCertificate(custos.ctx, { certificate: cvca.id, directory: dir })), 'FILE_EXISTS');
    assert.deepEqual(readFileSync(first.path), before);
  });

  it('exports a chain as one file of the certificates concatenated, issuer first, that Custos reads back', async () => {
    const exported = await exportCvcChain(custos.ctx, { certificate: terminal.id, form: 'concatenation', directory: join(work, 'concat') });
    const bytes = readFileSync(exported.path);
    assert.deepEqual(bytes, Buffer.concat([cvca.raw, dv.raw, terminal.raw]));
    assert.match(exported.path, /UTTERM000001-chain\.cvcert$/);
    const metadata = JSON.parse(readFileSync(`${exported.path}.custos.json`, 'utf8'));
    assert.equal(metadata.artifact, 'cv-chain');
    assert.deepEqual(metadata.chrs, ['UTCVCA00001', 'UTDVCUSTOS00001', 'UTTERM000001']);
    assert.equal(metadata.sha256, createHash('sha256').update(bytes).digest('hex'));
  });

  it('a request whose CHR reads like a path is exported inside the chosen folder, under a name with the path characters replaced', async () => {
    const hostile = importCvcRequest(custos.journal, 'evil.cvreq', terminalRequest('../../x00001')).record;
    assert.equal(hostile.chr, '../../x00001');
    const dir = join(work, 'hostile', 'inner');
    const exported = await exportCvcRequest(custos.ctx, { request: hostile.id, directory: dir });
    assert.equal(exported.path, join(dir, '______x00001.cvreq'));
    assert.deepEqual(readdirSync(join(work, 'hostile')), ['inner']);
    assert.deepEqual(readFileSync(exported.path), Buffer.from(hostile.raw));
  });

  it('a rollover: the new CVCA\'s link certificate, signed by the old key, verifies under the old CVCA in cvc-print', async () => {
    const ctx = custos.ctx;
    const newKey = await custos.generateKey(tokenId, { kind: 'ec', curve: 'P-256' }, 'cvca-2');
    const next = await initCvca(ctx, { tokenId, keySpkiSha256: newKey.spkiSha256, chr: 'UTCVCA00002', validityDays: 900 });
    const link = await signCvcCertificate(ctx, { issuer: cvca.id, profileId: 'cvca-link', holder: next.id, validityDays: 900 });
    assert.equal(link.car, 'UTCVCA00001');
    assert.equal(link.chr, 'UTCVCA00002');
    const dir = join(work, 'rollover');
    mkdirSync(dir);
    writeFileSync(join(dir, 'UTCVCA00001'), cvca.raw);
    writeFileSync(join(dir, 'link.cvcert'), link.raw);
    const printed = cvcPrint(['--cvc', join(dir, 'link.cvcert'), '--cvc-dir', dir]);
    assert.match(printed.out, /CVCA certificate/);
    assert.equal(verdict(printed.out), 'certificate verified', printed.out);
  });

  it('certificates cvc-create made import into Custos and verify; a changed byte is refused', () => {
    const dir = join(work, 'openpace');
    mkdirSync(dir);
    const key = join(dir, 'cvca.pkcs8');
    const pem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'der' });
    writeFileSync(key, pem);
    const made = (args: string[]): void => {
      const r = spawnSync('cvc-create', args, { cwd: dir, encoding: 'utf8' });
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    };
    made(['--role=cvca', '--type=at', '--chr=UTOPCVCA00001', '--expires=301231', `--sign-with=${key}`, '--scheme=ECDSA_SHA_256', '--read-dg1', '--verify-age']);
    made(['--role=dv_domestic', '--chr=UTOPDV00001', '--expires=291231', `--sign-with=${key}`, '--sign-as=UTOPCVCA00001.cvcert', '--scheme=ECDSA_SHA_256', '--read-dg1']);
    const root = readFileSync(join(dir, 'UTOPCVCA00001.cvcert'));
    const dvCert = readFileSync(join(dir, 'UTOPDV00001.cvcert'));
    const damaged = Uint8Array.from(dvCert);
    damaged[damaged.length - 3]! ^= 0x40;
    assert.throws(() => importCvcCertificates(custos.journal, 'dv.cvcert', Buffer.concat([root, damaged])), (e) => isCustosError(e) && e.code === 'CVC_SIGNATURE_INVALID');
    const imported = importCvcCertificates(custos.journal, 'chain.cvcert', Buffer.concat([dvCert, root]));
    assert.deepEqual(imported.map((c) => c.chr), ['UTOPCVCA00001', 'UTOPDV00001']);
    assert.equal(imported[1]!.role, 'dv-domestic');
    assert.equal(imported[1]!.issuerId, imported[0]!.id);
    assert.ok(imported[1]!.keySpkiSha256, 'the DV key resolves its curve from the CVCA');
  });

  it('CVCAs on P-384 and P-521 token keys sign with SHA-384 and SHA-512, and cvc-print verifies each', async () => {
    const dir = join(work, 'curves');
    mkdirSync(dir);
    for (const [n, curve] of (['P-384', 'P-521'] as const).entries()) {
      const key = await custos.generateKey(tokenId, { kind: 'ec', curve }, `cvca ${curve}`);
      const chr = `UTCURVE0000${n + 1}`;
      const cert = await initCvca(custos.ctx, { tokenId, keySpkiSha256: key.spkiSha256, chr, validityDays: 1000 });
      writeFileSync(join(dir, chr), cert.raw);
      const printed = cvcPrint(['--cvc', join(dir, chr), '--cvc-dir', dir]);
      assert.equal(decodeCvCertificate(cert.raw).body.publicKey.oid, CVC_OID[curve === 'P-384' ? 'id-TA-ECDSA-SHA-384' : 'id-TA-ECDSA-SHA-512']);
      assert.equal(verdict(printed.out), 'certificate verified', `${curve}: ${printed.out}`);
    }
  });

  it('CVCAs cvc-create made on every curve Custos reads, each with its own hash, import and verify', () => {
    const dir = join(work, 'openpace-curves');
    mkdirSync(dir);
    const cases = [
      ['brainpoolP256r1', 'ECDSA_SHA_256'], ['prime256v1', 'ECDSA_SHA_224'], ['secp384r1', 'ECDSA_SHA_384'], ['brainpoolP384r1', 'ECDSA_SHA_384'],
      ['secp521r1', 'ECDSA_SHA_512'], ['brainpoolP512r1', 'ECDSA_SHA_512'],
    ] as const;
    for (const [n, [curve, scheme]] of cases.entries()) {
      const key = join(dir, `${curve}.pkcs8`);
      writeFileSync(key, generateKeyPairSync('ec', { namedCurve: curve }).privateKey.export({ type: 'pkcs8', format: 'der' }));
      const chr = `UTOPCURVE0000${n + 1}`;
      const r = spawnSync('cvc-create', ['--role=cvca', '--type=at', `--chr=${chr}`, '--expires=301231', `--sign-with=${key}`, `--scheme=${scheme}`, '--read-dg1'], { cwd: dir, encoding: 'utf8' });
      assert.equal(r.status, 0, `${curve}: ${r.stdout}${r.stderr}`);
      const [imported] = importCvcCertificates(custos.journal, `${chr}.cvcert`, readFileSync(join(dir, `${chr}.cvcert`)));
      assert.equal(imported?.chr, chr, curve);
      assert.equal(imported?.role, 'cvca', curve);
    }
    // On P-521 cvc-create writes r||s short (130 bytes) when both halves start with a zero byte, about one time in four.
    for (let n = 1; n <= 16; n++) {
      const chr = `UTOPP521${String(n).padStart(5, '0')}`;
      const r = spawnSync('cvc-create', ['--role=cvca', '--type=at', `--chr=${chr}`, '--expires=301231', `--sign-with=${join(dir, 'secp521r1.pkcs8')}`, '--scheme=ECDSA_SHA_512', '--read-dg1'], { cwd: dir, encoding: 'utf8' });
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
      assert.equal(importCvcCertificates(custos.journal, `${chr}.cvcert`, readFileSync(join(dir, `${chr}.cvcert`)))[0]?.chr, chr);
    }
  });

  it('refuses to sign a body other than the one previewed (PREVIEW_STALE), and records no intent for it', async () => {
    const ctx = custos.ctx;
    const request = importCvcRequest(ctx.journal, 'UTTERM00002.cvreq', terminalRequest('UTTERM000002')).record;
    const terms = { issuer: dv.id, profileId: 'terminal-at', requestId: request.id, validityDays: 30 };
    const preview = previewCvcCertificate(ctx, terms);
    const seq = ctx.journal.lastSeq;
    assert.equal(await codeOf(signCvcCertificate(ctx, { ...terms, validityDays: 31, bodySha256: preview.bodySha256 })), 'PREVIEW_STALE');
    assert.equal(ctx.journal.lastSeq, seq);
    const signed = await signCvcCertificate(ctx, { ...terms, bodySha256: preview.bodySha256 });
    assert.deepEqual(Buffer.from(signed.raw.subarray(0, preview.bodyRaw.length + 4)).includes(Buffer.from(preview.bodyRaw)), true);
  });

  it('refuses a CHAT wider than the issuer\'s with CVC_CHAT_EXCEEDS_ISSUER before the token is asked', async () => {
    const ctx = custos.ctx;
    const request = importCvcRequest(ctx.journal, 'UTTERM00003.cvreq', terminalRequest('UTTERM000003')).record;
    const seq = ctx.journal.lastSeq;
    const code = await codeOf(signCvcCertificate(ctx, { issuer: dv.id, profileId: 'terminal-at', requestId: request.id, authorizations: ['read-dg1', 'pin-management'] }));
    assert.equal(code, 'CVC_CHAT_EXCEEDS_ISSUER');
    assert.equal(ctx.journal.lastSeq, seq, 'nothing was recorded');
  });

  it('journals intent and result of every CVC signature, on the VIRTUAL token, under a signed checkpoint', () => {
    const entries = custos.journal.read();
    const intents = entries.filter((e) => e.kind === 'cvc.certificate.sign.intent');
    for (const intent of intents) {
      const done = entries.find((e) => e.intent === intent.seq);
      assert.ok(done, `intent #${intent.seq} has its result`);
      assert.equal(done.kind, 'cvc.certificate.sign.done');
      assert.match(String(intent.data.bodySha256), /^[0-9a-f]{64}$/);
      assert.equal(intent.token?.virtual, true);
    }
    const summary = custos.ctx.anchors!.summary();
    assert.ok(summary.checkpoints > 0);
    assert.deepEqual(summary.uncoveredActs, [], 'every CVC signature lies under a signed checkpoint');
    assert.ok(intents.length >= 4);
  });
});
