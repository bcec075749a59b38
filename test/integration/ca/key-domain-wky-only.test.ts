/**
 * The restore act on a .wky that has no .custos.json beside it (as
 * sc-hsm-tool --wrap-key leaves it), against what such a file can be made to
 * say: cut short, bytes added, a blob altered, the certificate of another key
 * put beside the blob, a record beside it that is damaged. Each is its own
 * error, and the secondary is left as it was, with no restore begun in the
 * journal where nothing reached the card. Two virtual SmartCard-HSMs of one
 * key domain, spoken to in process. (The flow through pcscd with OpenSC's own
 * --wrap-key is test/integration/cli/key-domain-wky-only-pcsc.test.ts.)
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Custos } from '../../../main/custos.ts';
import { VirtualScHsmProvider } from '../../../main/hsm/sc-hsm/provider.ts';
import type { ScHsmToken } from '../../../main/hsm/sc-hsm/token.ts';
import type { KeyRef } from '../../../main/hsm/token.ts';
import { isCustosError, type ErrorCode } from '../../../main/errors/index.ts';
import { Secret } from '../../../main/secret.ts';
import { encodeWky, type WkyFile } from '../../../main/keydomain/index.ts';
import { wkyOfWrappedKey } from '../../../main/hsm/sc-hsm/key-backup.ts';
import { listKeyIds } from '../../../main/hsm/sc-hsm/keys.ts';
import { describeBackup, restoreKeyFromFile } from '../../../main/ca/key-backup-act.ts';
import { createInitializedCard } from '../../support/card-process.ts';

const PIN = '648219';

async function codeOf(p: Promise<unknown>): Promise<ErrorCode | undefined> {
  try { await p; return undefined; } catch (e) { if (isCustosError(e)) return e.code; throw e; }
}

describe('restoring a .wky that has no record beside it', () => {
  let work: string;
  let custos: Custos;
  let secondary: ScHsmToken;
  const ids = { primary: '', secondary: '', foreign: '' };
  const keys: { a?: KeyRef; b?: KeyRef } = {};
  const files: { a?: WkyFile; b?: WkyFile } = {};
  let n = 0;

  /** A .wky of these bytes in a folder of its own, with no .custos.json unless one is given. */
  function wkyFile(bytes: Uint8Array, record?: string): string {
    const dir = join(work, `case-${++n}`);
    mkdirSync(dir);
    const path = join(dir, 'key.wky');
    writeFileSync(path, bytes);
    if (record !== undefined) writeFileSync(join(dir, 'key.custos.json'), record);
    return path;
  }

  const restoreIntents = (): number => custos.journal.read().filter((e) => e.kind === 'key.restore.intent').length;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-wky-only-act-'));
    const states = ['primary', 'secondary', 'foreign'].map((name) => join(work, `${name}.vsc`));
    for (const s of states) await createInitializedCard(s, PIN, undefined, { dkekShares: 1 });
    custos = Custos.open({ dataDir: join(work, 'home'), operator: 'tester', providers: [new VirtualScHsmProvider(states)], pcsc: false });
    const listed = await custos.tokens.list();
    ids.primary = listed.find((t) => t.info.reader.includes('primary.vsc'))!.id;
    ids.secondary = listed.find((t) => t.info.reader.includes('secondary.vsc'))!.id;
    ids.foreign = listed.find((t) => t.info.reader.includes('foreign.vsc'))!.id;
    // A card of another key domain: a share of its own.
    await custos.login(ids.foreign, Secret.fromString(PIN));
    await (await custos.tokens.open(ids.foreign) as ScHsmToken).importDkekShare(new Uint8Array(randomBytes(32)));
    const share = new Uint8Array(randomBytes(32));
    for (const id of [ids.primary, ids.secondary]) {
      await custos.login(id, Secret.fromString(PIN));
      await (await custos.tokens.open(id) as ScHsmToken).importDkekShare(share);
    }
    share.fill(0);
    const primary = await custos.tokens.open(ids.primary) as ScHsmToken;
    secondary = await custos.tokens.open(ids.secondary) as ScHsmToken;
    keys.a = await primary.generateKeyPair({ kind: 'ec', curve: 'P-256' }, 'key A');
    keys.b = await primary.generateKeyPair({ kind: 'ec', curve: 'P-256' }, 'key B');
    files.a = wkyOfWrappedKey(await primary.wrapKey(keys.a));
    files.b = wkyOfWrappedKey(await primary.wrapKey(keys.b));
  });

  after(async () => {
    await custos?.close();
    rmSync(work, { recursive: true, force: true });
  });

  async function refusedLeavingCard(path: string, expected: string | undefined, code: ErrorCode, begun = false): Promise<void> {
    const before = { ids: await listKeyIds(secondary.card), intents: restoreIntents() };
    assert.equal(await codeOf(restoreKeyFromFile(custos.ctx, { tokenId: ids.secondary, wkyPath: path, ...(expected ? { expectedSpkiSha256: expected } : {}) })), code);
    assert.deepEqual(await listKeyIds(secondary.card), before.ids, 'the secondary is as it was');
    if (!begun) assert.equal(restoreIntents(), before.intents, 'no restore was begun');
  }

  it('reads the key\'s label, public key SHA-256 and domain KCV from the .wky alone, and says it has no record', async () => {
    const d = await describeBackup(custos.ctx, wkyFile(encodeWky(files.a!)));
    assert.deepEqual([d.label, d.spkiSha256, d.hasRecord, d.keySpec], ['key A', keys.a!.spkiSha256, false, { kind: 'ec', curve: 'P-256' }]);
    assert.equal(d.domainKcv, (await secondary.dkekStatus()).kcv);
  });

  it('refuses a .wky cut short (WKY_TRUNCATED) or with bytes added (WKY_TRAILING_BYTES), before the card', async () => {
    const bytes = encodeWky(files.a!);
    await refusedLeavingCard(wkyFile(bytes.subarray(0, bytes.length - 7)), keys.a!.spkiSha256, 'WKY_TRUNCATED');
    await refusedLeavingCard(wkyFile(Uint8Array.of(...bytes, 0, 0)), keys.a!.spkiSha256, 'WKY_TRAILING_BYTES');
  });

  it('refuses a .wky without the key\'s public half (WKY_PUBLIC_KEY_MISSING): nothing could name or check the key', async () => {
    await refusedLeavingCard(wkyFile(encodeWky({ blob: files.a!.blob })), keys.a!.spkiSha256, 'WKY_PUBLIC_KEY_MISSING');
  });

  it('refuses a blob altered in the file, even with the right key expected: the card refuses it and nothing is left on it', async () => {
    const blob = Uint8Array.from(files.a!.blob);
    blob[blob.length - 3]! ^= 0x01;
    await refusedLeavingCard(wkyFile(encodeWky({ ...files.a!, blob })), keys.a!.spkiSha256, 'KEY_BLOB_INVALID', true);
  });

  it('refuses key A\'s blob put beside key B\'s certificate and description: the restored key does not sign for B, and is removed', async () => {
    const swapped = encodeWky({ blob: files.a!.blob, ...(files.b!.prkd ? { prkd: files.b!.prkd } : {}), ...(files.b!.certificate ? { certificate: files.b!.certificate } : {}) });
    // The file says it is key B, and the operator expects B: only the card's signature shows otherwise.
    await refusedLeavingCard(wkyFile(swapped), keys.b!.spkiSha256, 'KEY_BLOB_INVALID', true);
  });

  it('refuses a record beside the .wky that is damaged (KEY_BACKUP_INVALID), rather than reading the .wky alone', async () => {
    await refusedLeavingCard(wkyFile(encodeWky(files.a!), '{"format": "custos-key-backup", '), keys.a!.spkiSha256, 'KEY_BACKUP_INVALID');
    await refusedLeavingCard(wkyFile(encodeWky(files.a!), '{"format": "something else"}'), keys.a!.spkiSha256, 'KEY_BACKUP_INVALID');
  });

  it('refuses to restore the expected key into a card of another key domain (KCV_MISMATCH), before the card is asked', async () => {
    const foreign = await custos.tokens.open(ids.foreign) as ScHsmToken;
    const before = { ids: await listKeyIds(foreign.card), intents: restoreIntents() };
    const path = wkyFile(encodeWky(files.a!));
    assert.equal(await codeOf(restoreKeyFromFile(custos.ctx, { tokenId: ids.foreign, wkyPath: path, expectedSpkiSha256: keys.a!.spkiSha256 })), 'KCV_MISMATCH');
    assert.deepEqual([await listKeyIds(foreign.card), restoreIntents()], [before.ids, before.intents]);
  });

  it('refuses the key the operator did not expect (KEY_FINGERPRINT_MISMATCH) and one no one named (KEY_FINGERPRINT_REQUIRED), then restores the expected one once', async () => {
    const path = wkyFile(encodeWky(files.a!));
    await refusedLeavingCard(path, keys.b!.spkiSha256, 'KEY_FINGERPRINT_MISMATCH');
    await refusedLeavingCard(path, undefined, 'KEY_FINGERPRINT_REQUIRED');
    const restored = await restoreKeyFromFile(custos.ctx, { tokenId: ids.secondary, wkyPath: path, expectedSpkiSha256: keys.a!.spkiSha256 });
    assert.deepEqual([restored.key.label, restored.key.spkiSha256, restored.expectedBy], ['key A', keys.a!.spkiSha256, 'operator']);
    assert.equal(await codeOf(restoreKeyFromFile(custos.ctx, { tokenId: ids.secondary, wkyPath: path, expectedSpkiSha256: keys.a!.spkiSha256 })), 'KEY_ALREADY_PRESENT');
    const done = custos.journal.read().filter((e) => e.kind === 'key.restore.intent').at(-1);
    assert.deepEqual([done?.data.record, done?.data.expectedBy], [false, 'operator']);
  });
});
