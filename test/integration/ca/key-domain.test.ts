/**
 * A key domain in the custodians' hands, on virtual SmartCard-HSMs spoken to
 * in process: two custodians make shares, each imports theirs into two HSMs,
 * the CA key is backed up on the first into a .wky and restored into the
 * second, which then signs a certificate and a CRL alone, and OpenSSL checks
 * both against the root. Then every refusal: a key made before the domain is
 * complete, a share imported twice, a wrong password, a cut-short file, a
 * card of another domain, a card that holds the key already, a card pulled
 * as it answers. (The same flow through pcscd is in pcsc-key-domain-flow.test.ts.)
 *
 * Share files here use 1,000 KDF rounds instead of 10,000,000, which only
 * makes them quicker to open; their format is sc-hsm-tool's.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Custos } from '../../../main/custos.ts';
import { VirtualScHsmProvider } from '../../../main/hsm/sc-hsm/provider.ts';
import { ScHsmToken } from '../../../main/hsm/sc-hsm/token.ts';
import { tokenRecord } from '../../../main/hsm/token.ts';
import { CustosError, isCustosError, type ErrorCode } from '../../../main/errors/index.ts';
import { Secret } from '../../../main/secret.ts';
import { createDkekShare, domainStatus, importDkekShareFile, passwordFromShares, readShareFile, shareKcv } from '../../../main/ca/key-domain.ts';
import { decryptShareFileAsync } from '../../../main/keydomain/index.ts';
import { backupKeyToFile, restoreKeyFromFile, readBackup } from '../../../main/ca/key-backup-act.ts';
import { createRoot } from '../../../main/ca/root.ts';
import { importRequests } from '../../../main/ca/requests.ts';
import { issueCertificate } from '../../../main/ca/issue.ts';
import { issueCrl } from '../../../main/ca/crl.ts';
import { exportCertificate, exportCrl } from '../../../main/ca/export.ts';
import { requestForKey } from '../../../main/ca/key-request.ts';
import { parseSubject } from '../../../main/ca/subject.ts';
import { listKeyIds } from '../../../main/hsm/sc-hsm/keys.ts';
import { createInitializedCard } from '../../support/card-process.ts';

const PIN = '648219';
const FAST = { iterations: 1000 };
const pw = (s: string): Secret => Secret.fromString(s);

async function codeOf(p: Promise<unknown>): Promise<ErrorCode | undefined> {
  try { await p; return undefined; } catch (e) { if (isCustosError(e)) return e.code; throw e; }
}

describe('a key domain from custodians\' shares to a CA that signs on its backup HSM', () => {
  let work: string;
  let custos: Custos;
  const ids: Record<'primary' | 'secondary' | 'foreign', string> = { primary: '', secondary: '', foreign: '' };
  const files = { anna: '', ben: '' };
  let rootCaId = '';
  let caKey = { label: 'root key', spkiSha256: '' };
  let wkyPath = '';

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-key-domain-'));
    const states = ['primary', 'secondary', 'foreign'].map((n) => join(work, `${n}.vsc`));
    for (const s of states) await createInitializedCard(s, PIN, undefined, { dkekShares: s.endsWith('foreign.vsc') ? 3 : 2 });
    custos = Custos.open({ dataDir: join(work, 'home'), operator: 'tester', providers: [new VirtualScHsmProvider(states)] });
    const listed = await custos.tokens.list();
    for (const [i, name] of (['primary', 'secondary', 'foreign'] as const).entries()) {
      ids[name] = listed.find((t) => t.info.reader.includes(`${name}.vsc`))!.id;
      assert.ok(ids[name], `${name} listed (${i})`);
      await custos.login(ids[name], pw(PIN));
    }
  });

  after(async () => {
    await custos?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('makes one share per custodian, each under a password typed twice, and names each by its KCV', async () => {
    const mismatch = await codeOf(createDkekShare(custos.ctx, { custodian: 'Anna', password: pw('anna-password-1'), passwordRepeat: pw('anna-password-2') }, FAST));
    assert.equal(mismatch, 'PASSWORD_MISMATCH');
    assert.equal(await codeOf(createDkekShare(custos.ctx, { custodian: 'Anna', password: pw('short'), passwordRepeat: pw('short') }, FAST)), 'PASSWORD_TOO_SHORT');
    const anna = await createDkekShare(custos.ctx, { custodian: 'Anna', password: pw('anna-password-1'), passwordRepeat: pw('anna-password-1') }, FAST);
    const ben = await createDkekShare(custos.ctx, { custodian: 'Ben', password: pw('ben-password-22'), passwordRepeat: pw('ben-password-22') }, FAST);
    files.anna = anna.path;
    files.ben = ben.path;
    for (const s of [anna, ben]) {
      assert.equal(statSync(s.path).size, 64);
      assert.equal(readFileSync(s.path).subarray(0, 8).toString('latin1'), 'Salted__');
      assert.equal(statSync(s.path).mode & 0o077, 0, 'a share file is readable by its owner only');
      assert.match(s.shareKcv, /^[0-9a-f]{16}$/);
    }
    assert.notEqual(anna.shareKcv, ben.shareKcv);
    const journal = readFileSync(join(work, 'home', 'journal.jsonl'), 'utf8');
    assert.ok(journal.includes(anna.shareKcv) && journal.includes('dkek.share.create.done'));
    assert.ok(!journal.includes('anna-password-1') && !journal.includes('ben-password-22'), 'no password in the journal');
  });

  it('refuses to generate a CA key while the card still waits for shares, and says why', async () => {
    const e = await custos.generateKey(ids.primary, { kind: 'ec', curve: 'P-256' }, 'too early').catch((x: unknown) => x);
    assert.ok(e instanceof CustosError);
    assert.equal(e.code, 'KEYGEN_DOMAIN_INCOMPLETE');
    assert.match(e.message, /2 of 2 DKEK shares.*could never be backed up/);
  });

  it('imports the shares one custodian at a time into both HSMs: k of n, then the same domain KCV on both', async () => {
    const first = await importDkekShareFile(custos.ctx, { tokenId: ids.primary, file: await readShareFile(files.anna), fileName: files.anna, password: pw('anna-password-1') }, FAST);
    assert.deepEqual([first.importedShares, first.totalShares, first.complete], [1, 2, false]);
    assert.equal(first.shares.length, 1);
    const done = await importDkekShareFile(custos.ctx, { tokenId: ids.primary, file: await readShareFile(files.ben), fileName: files.ben, password: pw('ben-password-22') }, FAST);
    assert.deepEqual([done.importedShares, done.complete], [2, true]);
    assert.match(done.kcv!, /^[0-9a-f]{16}$/);
    assert.deepEqual(done.shares.map((s) => s.shareKcv), [first.shareKcv, done.shareKcv]);
    await importDkekShareFile(custos.ctx, { tokenId: ids.secondary, file: await readShareFile(files.ben), fileName: files.ben, password: pw('ben-password-22') }, FAST);
    const second = await importDkekShareFile(custos.ctx, { tokenId: ids.secondary, file: await readShareFile(files.anna), fileName: files.anna, password: pw('anna-password-1'), expectedShareKcv: first.shareKcv }, FAST);
    assert.equal(second.kcv, done.kcv);
    assert.equal(second.expectedKcv, done.kcv, 'the second card is compared with the domain the journal saw these shares make');
  });

  it('refuses a share already in the card, a wrong password, a cut-short file and a full domain, with nothing imported', async () => {
    const status = await domainStatus(custos.ctx, ids.foreign);
    assert.equal(status.importedShares, 0);
    await importDkekShareFile(custos.ctx, { tokenId: ids.foreign, file: await readShareFile(files.anna), fileName: files.anna, password: pw('anna-password-1') }, FAST);
    assert.equal(await codeOf(importDkekShareFile(custos.ctx, { tokenId: ids.foreign, file: await readShareFile(files.anna), fileName: files.anna, password: pw('anna-password-1') }, FAST)), 'DKEK_SHARE_ALREADY_IMPORTED');
    assert.equal(await codeOf(importDkekShareFile(custos.ctx, { tokenId: ids.foreign, file: await readShareFile(files.ben), fileName: files.ben, password: pw('not-bens-password') }, FAST)), 'DKEK_SHARE_PASSWORD_WRONG');
    const cut = join(work, 'cut.pbe');
    writeFileSync(cut, readFileSync(files.ben).subarray(0, 40));
    assert.equal(await codeOf(readShareFile(cut)), 'DKEK_SHARE_MALFORMED');
    assert.equal(await codeOf(importDkekShareFile(custos.ctx, { tokenId: ids.foreign, file: readFileSync(cut), fileName: cut, password: pw('ben-password-22') }, FAST)), 'DKEK_SHARE_MALFORMED');
    assert.equal((await domainStatus(custos.ctx, ids.foreign)).importedShares, 1, 'none of the refused imports reached the card');
    assert.equal(await codeOf(importDkekShareFile(custos.ctx, { tokenId: ids.primary, file: await readShareFile(files.anna), fileName: files.anna, password: pw('anna-password-1') }, FAST)), 'DKEK_ALREADY_COMPLETE');
  });

  it('refuses a share file changed since it was made, even one that still opens with its password, by the journal or by its paper record\'s KCV, before the card', async () => {
    const original = readFileSync(files.ben);
    // A bit flipped in the first ciphertext block: CBC garbles that block and the padding stays valid, so the file opens to a share nobody holds.
    const flipped = Buffer.from(original.map((b, i) => (i === 20 ? b ^ 0x80 : b)));
    const moved = join(work, 'medium', basename(files.ben));
    spawnSync('mkdir', ['-p', join(moved, '..')]);
    writeFileSync(moved, flipped);
    const opened = await decryptShareFileAsync(flipped, pw('ben-password-22'), FAST);
    assert.notEqual(shareKcv(opened), custos.journal.read().find((e) => e.kind === 'dkek.share.create.done' && e.data.custodian === 'Ben')?.data.shareKcv, 'the changed file opens to another share');
    const before = (await domainStatus(custos.ctx, ids.foreign)).importedShares;
    const importsBefore = custos.journal.read().filter((x) => x.kind === 'dkek.share.import.intent').length;
    const e = await importDkekShareFile(custos.ctx, { tokenId: ids.foreign, file: await readShareFile(moved), fileName: moved, password: pw('ben-password-22') }, FAST).catch((x: unknown) => x);
    assert.ok(isCustosError(e) && e.code === 'DKEK_SHARE_ALTERED', String(e));
    assert.match(e.message, /made .* for Ben/);
    assert.equal((await domainStatus(custos.ctx, ids.foreign)).importedShares, before, 'nothing reached the card');
    assert.equal(custos.journal.read().filter((x) => x.kind === 'dkek.share.import.intent').length, importsBefore, 'no import begun');
    // Renamed, the journal does not know the file; Ben's paper record does.
    const renamed = join(work, 'medium', 'ben-copy.pbe');
    writeFileSync(renamed, flipped);
    const bensKcv = String(custos.journal.read().find((x) => x.kind === 'dkek.share.create.done' && x.data.custodian === 'Ben')?.data.shareKcv);
    const byRecord = await importDkekShareFile(custos.ctx, { tokenId: ids.foreign, file: await readShareFile(renamed), fileName: renamed, password: pw('ben-password-22'), expectedShareKcv: bensKcv }, FAST).catch((x: unknown) => x);
    assert.ok(isCustosError(byRecord) && byRecord.code === 'DKEK_SHARE_ALTERED', String(byRecord));
    assert.match(byRecord.message, new RegExp(`not the ${bensKcv} of its paper record`));
    assert.equal((await domainStatus(custos.ctx, ids.foreign)).importedShares, before, 'nothing reached the card');
  });

  it('counts a share the card took as its reply was lost, and refuses it the second time', async () => {
    // The card is pulled right after it answered IMPORT DKEK SHARE: a fault put into the transport, as no reader can be pulled on cue.
    const token = await custos.tokens.open(ids.foreign) as ScHsmToken;
    const transport = token.card.transport;
    const transmit = transport.transmit.bind(transport);
    transport.transmit = async (apdu) => {
      const reply = await transmit(apdu);
      if (apdu[1] === 0x52 && apdu.length > 10) throw new CustosError('TOKEN_REMOVED', 'The card was removed.', {});
      return reply;
    };
    try {
      const lost = await codeOf(importDkekShareFile(custos.ctx, { tokenId: ids.foreign, file: await readShareFile(files.ben), fileName: files.ben, password: pw('ben-password-22') }, FAST));
      assert.equal(lost, 'TOKEN_REMOVED');
    } finally {
      transport.transmit = transmit;
    }
    const status = await domainStatus(custos.ctx, ids.foreign);
    assert.equal(status.importedShares, 2);
    assert.equal(status.shares.length, 2, 'the journal reads the lost reply as a share in the card');
    const again = await codeOf(importDkekShareFile(custos.ctx, { tokenId: ids.foreign, file: await readShareFile(files.ben), fileName: files.ben, password: pw('ben-password-22') }, FAST));
    assert.equal(again, 'DKEK_SHARE_ALREADY_IMPORTED');
    assert.equal((await domainStatus(custos.ctx, ids.foreign)).importedShares, 2);
  });

  it('backs the CA key up by label and fingerprint into a .wky with a .custos.json naming the domain KCV and the key', async () => {
    const key = await custos.generateKey(ids.primary, { kind: 'ec', curve: 'P-384' }, caKey.label);
    caKey = { label: key.label, spkiSha256: key.spkiSha256 };
    const root = await createRoot(custos.ctx, { tokenId: ids.primary, keySpkiSha256: key.spkiSha256, profileId: 'root-ca', subject: 'C=XX, O=Custos, CN=Domain Root', name: 'domain-root' });
    rootCaId = root.id;
    assert.equal(await codeOf(backupKeyToFile(custos.ctx, { tokenId: ids.primary, label: caKey.label, spkiSha256: '01' })), 'INPUT_INVALID');
    assert.equal(await codeOf(backupKeyToFile(custos.ctx, { tokenId: ids.primary, label: 'another label', spkiSha256: key.spkiSha256 })), 'KEY_NOT_FOUND');
    const backup = await backupKeyToFile(custos.ctx, { tokenId: ids.primary, label: caKey.label, spkiSha256: key.spkiSha256.slice(0, 20) });
    wkyPath = backup.wkyPath;
    const meta = JSON.parse(readFileSync(backup.metadataPath, 'utf8')) as Record<string, unknown>;
    assert.equal(meta.spkiSha256, key.spkiSha256);
    assert.equal(meta.domainKcv, (await domainStatus(custos.ctx, ids.primary)).kcv);
    assert.deepEqual(meta.cas, [{ id: root.id, name: 'domain-root' }]);
    const read = await readBackup(wkyPath);
    assert.equal(read.wrapped.label, caKey.label, 'the .wky carries the key\'s label');
  });

  it('refuses a truncated or altered .wky, and a card of another key domain, before touching the card', async () => {
    const bytes = readFileSync(wkyPath);
    const cut = join(work, 'cut', 'root-key.wky');
    const altered = join(work, 'altered', 'root-key.wky');
    for (const [path, content] of [[cut, bytes.subarray(0, bytes.length - 20)], [altered, Buffer.from(bytes.map((b, i) => (i === 40 ? b ^ 1 : b)))]] as const) {
      spawnSync('mkdir', ['-p', join(path, '..')]);
      writeFileSync(path, content);
      writeFileSync(path.replace(/\.wky$/, '.custos.json'), readFileSync(wkyPath.replace(/\.wky$/, '.custos.json')));
      assert.equal(await codeOf(restoreKeyFromFile(custos.ctx, { tokenId: ids.secondary, wkyPath: path })), 'KEY_BACKUP_INVALID');
    }
    const other = join(work, 'other.vsc');
    await createInitializedCard(other, PIN, undefined, { dkekShares: 1 });
    const c2 = Custos.open({ dataDir: join(work, 'home2'), operator: 'tester', providers: [new VirtualScHsmProvider([other])] });
    try {
      const [t] = await c2.tokens.list();
      await c2.login(t!.id, pw(PIN));
      const share = await createDkekShare(c2.ctx, { custodian: 'Zoe', password: pw('zoe-password-1'), passwordRepeat: pw('zoe-password-1') }, FAST);
      // The custodians expected another domain: the card says so once the last share is in, and the journal records the mismatch.
      const mismatch = await importDkekShareFile(c2.ctx, { tokenId: t!.id, file: await readShareFile(share.path), fileName: share.path, password: pw('zoe-password-1'), expectedKcv: 'ffffffffffffffff' }, FAST)
        .catch((e: unknown) => e);
      assert.ok(mismatch instanceof CustosError && mismatch.code === 'KCV_MISMATCH', String(mismatch));
      assert.ok(c2.journal.read().some((e) => e.kind === 'dkek.share.import.done' && e.data.kcvMatches === false));
      assert.equal(await codeOf(restoreKeyFromFile(c2.ctx, { tokenId: t!.id, wkyPath })), 'KCV_MISMATCH');
      assert.equal((await (await c2.tokens.open(t!.id)).listKeys()).length, 0);
    } finally {
      await c2.close();
    }
  });

  it('removes what a restore left when the card was pulled part-way, and restores whole on the next try', async () => {
    const token = await custos.tokens.open(ids.secondary) as ScHsmToken;
    const transport = token.card.transport;
    const transmit = transport.transmit.bind(transport);
    let unwrapped = false;
    // Pulled after UNWRAP KEY, before the key's public part and label are written, and gone from then on (a fault put into the transport).
    transport.transmit = async (apdu) => {
      if (unwrapped) throw new CustosError('TOKEN_REMOVED', 'The card was removed.', {});
      const reply = await transmit(apdu);
      if (apdu[1] === 0x74) unwrapped = true;
      return reply;
    };
    try {
      assert.equal(await codeOf(restoreKeyFromFile(custos.ctx, { tokenId: ids.secondary, wkyPath })), 'TOKEN_REMOVED');
    } finally {
      transport.transmit = transmit;
    }
    const idsLeft = await listKeyIds(token.card);
    const listed = (await token.listKeys()).map((k) => Number.parseInt(k.id, 16));
    assert.ok(idsLeft.some((id) => !listed.includes(id)), 'the pulled restore left a key without its public part and label');
    const restored = await restoreKeyFromFile(custos.ctx, { tokenId: ids.secondary, wkyPath });
    const cleaned = custos.journal.read().find((e) => e.kind === 'key.restore.cleaned');
    assert.ok(cleaned && Array.isArray(cleaned.data.removedKeyIds) && cleaned.data.removedKeyIds.length === 1, 'the leftover was removed, and the journal says so');
    assert.equal(restored.key.spkiSha256, caKey.spkiSha256);
    assert.equal(restored.key.label, caKey.label);
    assert.equal(restored.journalKeyVouched, true, 'the primary, logged in, vouched for the secondary\'s journal key');
    assert.equal((await token.listKeys()).filter((k) => k.spkiSha256 === caKey.spkiSha256).length, 1);
    assert.equal(await codeOf(restoreKeyFromFile(custos.ctx, { tokenId: ids.secondary, wkyPath })), 'KEY_ALREADY_PRESENT');
  });

  it('signs a certificate and a CRL with the secondary alone, the primary removed, and OpenSSL verifies both against the root', async () => {
    await custos.tokens.close(ids.primary);
    const applicant = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const csr = await requestForKey({ spki: new Uint8Array(applicant.publicKey.export({ type: 'spki', format: 'der' })), sign: async (d) => new Uint8Array(nodeSign('sha256', d, { key: applicant.privateKey, dsaEncoding: 'der' })) },
      parseSubject('CN=restored.custos.test'), { scheme: 'ecdsa', hash: 'SHA-256' });
    const [req] = importRequests(custos.ctx, 'leaf.csr.der', csr);
    const leaf = await issueCertificate(custos.ctx, { caId: rootCaId, requestId: req!.record.id, profileId: 'tls-client' });
    const crl = await issueCrl(custos.ctx, { caId: rootCaId });
    const signedOn = custos.journal.read().filter((e) => (e.kind === 'certificate.issue.intent' || e.kind === 'crl.issue.intent'));
    const secondary = (await custos.tokens.open(ids.secondary)).info;
    assert.ok(signedOn.every((e) => e.token?.deviceKeySha256 === secondary.deviceKeySha256), 'both were signed on the secondary');
    const dir = join(work, 'out');
    const rootSerial = [...custos.state.issued.get(rootCaId)!.values()].find((r) => r.sha256 === rootCaId)!.serialHex;
    const rootPem = (await exportCertificate(custos.ctx, { caId: rootCaId, serialHex: rootSerial, format: 'pem', directory: dir })).path;
    const leafPem = (await exportCertificate(custos.ctx, { caId: rootCaId, serialHex: leaf.serialHex, format: 'pem', directory: dir })).path;
    const crlPem = (await exportCrl(custos.ctx, { caId: rootCaId, crlNumber: crl.record.crlNumber, format: 'pem', directory: dir })).path;
    const ok = spawnSync('openssl', ['verify', '-crl_check', '-CAfile', rootPem, '-CRLfile', crlPem, leafPem], { encoding: 'utf8' });
    assert.equal(ok.status, 0, `${ok.stdout}${ok.stderr}`);
    assert.ok(custos.journal.verify().ok);
  });

  it('backs up and restores an RSA-4096 key too, from the secondary into the primary put back', async () => {
    const key = await custos.generateKey(ids.secondary, { kind: 'rsa', bits: 4096 }, 'rsa root');
    const backup = await backupKeyToFile(custos.ctx, { tokenId: ids.secondary, label: 'rsa root', spkiSha256: key.spkiSha256 });
    assert.deepEqual(backup.metadata.keySpec, { kind: 'rsa', bits: 4096 });
    await custos.login(ids.primary, pw(PIN));
    const restored = await restoreKeyFromFile(custos.ctx, { tokenId: ids.primary, wkyPath: backup.wkyPath });
    assert.equal(restored.key.spkiSha256, key.spkiSha256);
    assert.deepEqual([restored.key.label, restored.key.spec], ['rsa root', { kind: 'rsa', bits: 4096 }]);
  });

  it('splits a share\'s password among three people, any two of whom open it', async () => {
    const made = await createDkekShare(custos.ctx, { custodian: 'Board', passwordShares: { threshold: 2, total: 3 } }, FAST);
    assert.ok(made.passwordShares);
    assert.equal(made.passwordShares.shares.length, 3);
    assert.match(made.passwordShares.prime, /^[0-9A-F]{2}(:[0-9A-F]{2})+$/);
    const [, b, c] = made.passwordShares.shares;
    const password = passwordFromShares(made.passwordShares.prime, [b!, c!]);
    const other = join(work, 'board.vsc');
    await createInitializedCard(other, PIN, undefined, { dkekShares: 1 });
    const c3 = Custos.open({ dataDir: join(work, 'home3'), operator: 'tester', providers: [new VirtualScHsmProvider([other])] });
    try {
      const [t] = await c3.tokens.list();
      const status = await importDkekShareFile(c3.ctx, { tokenId: t!.id, file: await readShareFile(made.path), fileName: made.path, password }, FAST);
      assert.equal(status.shareKcv, made.shareKcv);
      assert.equal(await codeOf(Promise.resolve().then(() => passwordFromShares(made.passwordShares!.prime, [{ id: 1, value: 'zz' }, b!]))), 'PASSWORD_SHARES_INVALID');
    } finally {
      await c3.close();
    }
    assert.ok(!existsSync(join(work, 'home', 'journal.jsonl')) || !readFileSync(join(work, 'home', 'journal.jsonl'), 'utf8').includes(made.passwordShares.shares[0]!.value));
  });
});

describe('a restore whose process ended between its intent and its result', () => {
  it('leaves a key without its public part on the card, which the next run\'s restore removes before restoring whole', async () => {
    const work = mkdtempSync(join(tmpdir(), 'custos-key-domain-killed-'));
    try {
      const states = ['a', 'b'].map((n) => join(work, `${n}.vsc`));
      for (const s of states) await createInitializedCard(s, PIN, undefined, { dkekShares: 1 });
      const open = (): Custos => Custos.open({ dataDir: join(work, 'home'), operator: 'tester', providers: [new VirtualScHsmProvider(states)], pcsc: false });
      let custos = open();
      const listed = await custos.tokens.list();
      const [a, b] = ['a.vsc', 'b.vsc'].map((f) => listed.find((t) => t.info.reader.includes(f))!.id) as [string, string];
      const share = await createDkekShare(custos.ctx, { custodian: 'Solo', password: pw('solo-password'), passwordRepeat: pw('solo-password') }, FAST);
      for (const id of [a, b]) {
        await custos.login(id, pw(PIN));
        await importDkekShareFile(custos.ctx, { tokenId: id, file: await readShareFile(share.path), fileName: share.path, password: pw('solo-password') }, FAST);
      }
      const key = await custos.generateKey(a, { kind: 'ec', curve: 'P-256' }, 'killed key');
      const { wkyPath, metadata } = await backupKeyToFile(custos.ctx, { tokenId: a, label: 'killed key', spkiSha256: key.spkiSha256 });
      // What a restore does up to its first card command, then the process is gone: the intent is durable, the card holds the bare key.
      const target = await custos.tokens.open(b) as ScHsmToken;
      const before = await listKeyIds(target.card);
      custos.journal.begin('key.restore', { tokenId: b, label: metadata.label, spkiSha256: metadata.spkiSha256, domainKcv: metadata.domainKcv, wkyFile: wkyPath, wkySha256: metadata.wkySha256, keyIdsBefore: before },
        tokenRecord(target.info));
      await target.card.unwrapKey(9, (await readBackup(wkyPath)).wrapped.blob);
      await custos.close();

      custos = open();
      try {
        assert.ok(custos.abandoned.some((e) => e.kind === 'key.restore.intent'), 'the next run reports the restore as abandoned');
        await custos.login(b, pw(PIN));
        const card = await custos.tokens.open(b) as ScHsmToken;
        assert.ok((await listKeyIds(card.card)).includes(9), 'the bare key is on the card');
        const restored = await restoreKeyFromFile(custos.ctx, { tokenId: b, wkyPath });
        assert.equal(restored.key.spkiSha256, key.spkiSha256);
        const cleaned = custos.journal.read().find((e) => e.kind === 'key.restore.cleaned');
        assert.deepEqual(cleaned?.data.removedKeyIds, [9]);
        assert.equal((await card.listKeys()).filter((k) => k.spkiSha256 === key.spkiSha256).length, 1);
      } finally {
        await custos.close();
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
