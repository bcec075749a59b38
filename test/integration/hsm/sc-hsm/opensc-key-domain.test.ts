/**
 * Key domains between Custos and OpenSC's own tools, both ways: DKEK share
 * files (one password, or a password split m-of-n), and .wky key backups whose
 * label must survive in pkcs11-tool. OpenSC's side is a virtual SmartCard-HSM
 * behind a private pcscd and vpcd, in its own process, reached by sc-hsm-tool,
 * pkcs11-tool and by Custos's driver over PC/SC; Custos's side is a second
 * virtual card of the same key domain, driven in-process. Share files use the
 * real 10,000,000-iteration count, as sc-hsm-tool has no other.
 * Needs root for pcscd's private socket.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCustosError } from '../../../../main/errors/index.ts';
import {
  combineShares, decodeWky, decryptShareFileAsync, encodeWky, encryptShareFileAsync, formatColonHex, generateSharePassword, kcv,
  parseColonHex, recoverSharePassword, splitSharePassword,
} from '../../../../main/keydomain/index.ts';
import { fid, PREFIX_PRKD } from '../../../../main/hsm/sc-hsm/commands.ts';
import { decodeWrappedKey, encodeWrappedKey } from '../../../../main/hsm/sc-hsm/key-backup.ts';
import { decodePrivateKeyDescription } from '../../../../main/hsm/sc-hsm/pkcs15.ts';
import { verifiesWith } from '../../../../main/hsm/sc-hsm/signing.ts';
import type { ScHsmToken } from '../../../../main/hsm/sc-hsm/token.ts';
import type { KeyRef, SignAlgorithm } from '../../../../main/hsm/token.ts';
import { Secret } from '../../../../main/secret.ts';
import { createInitializedCard, startCardProcess, type CardProcess } from '../../../support/card-process.ts';
import { cardBench, PIN, pin } from './fixtures.ts';
import { OPENSC_PKCS11 as MODULE, overPcsc, runTool, toolOk, type ToolRun } from './opensc-side.ts';

const isRoot = process.getuid?.() === 0;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const code = (c: string) => (e: unknown) => isCustosError(e) && e.code === c;
const message = new TextEncoder().encode('signed after the restore');
const ecdsa: SignAlgorithm = { scheme: 'ecdsa', hash: 'SHA-256' };

describe('key domains between Custos and sc-hsm-tool / pkcs11-tool through pcscd and vpcd', { skip: isRoot ? false : 'a private pcscd needs root', timeout: 900_000 }, () => {
  const bench = cardBench();
  let work = '';
  let card: CardProcess;
  let secondary: ScHsmToken;
  /** The shares the domain is made of, as Custos learnt them, in import order. */
  const shares: Uint8Array[] = [];

  const tool = (command: string, args: readonly string[], input?: string): Promise<ToolRun> => runTool(card, command, args, input);
  const ok = (command: string, args: readonly string[], input?: string): Promise<string> => toolOk(card, command, args, input);

  function kcvOf(out: string): string {
    const line = /DKEK key check value\s*:(.*)/i.exec(out);
    assert.ok(line, `no KCV in:\n${out}`);
    return line[1]!.replace(/[^0-9a-f]/gi, '').toLowerCase();
  }

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-opensc-domain-'));
    const stateFile = join(work, 'opensc-side.vsc');
    await createInitializedCard(stateFile, PIN, 'OpenSC side', { dkekShares: 3 });
    card = await startCardProcess(stateFile);
    secondary = await bench.token(await bench.card('custos-side', { dkekShares: 3 }));
    await secondary.login(pin());
  });

  after(async () => {
    await secondary?.close();
    await card?.stop();
    bench.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('imports a share file from sc-hsm-tool --create-dkek-share, refusing a wrong password and a file cut short', async () => {
    const file = join(work, 'share-1.pbe');
    await ok('sc-hsm-tool', ['--create-dkek-share', file, '--password', 'first custodian passphrase']);
    const bytes = new Uint8Array(readFileSync(file));
    const progress: number[] = [];
    const [status, share] = await Promise.all([
      overPcsc((token) => token.importDkekShareFile(bytes, Secret.fromString('first custodian passphrase'), { onProgress: (done, total) => progress.push(done / total) })),
      decryptShareFileAsync(bytes, Secret.fromString('first custodian passphrase')),
    ]);
    assert.deepEqual([status.totalShares, status.outstandingShares], [3, 2]);
    assert.equal(progress.at(-1), 1);
    assert.ok(progress.length > 10, `${progress.length} progress reports`);
    shares.push(share);
    await secondary.importDkekShare(share);
    await assert.rejects(decryptShareFileAsync(bytes, Secret.fromString('second custodian passphrase')), code('DKEK_SHARE_PASSWORD_WRONG'));
    await assert.rejects(decryptShareFileAsync(bytes.subarray(0, 48), Secret.fromString('first custodian passphrase')), code('DKEK_SHARE_TRUNCATED'));
  });

  it('writes a share file that sc-hsm-tool --import-dkek-share opens with its password and with no other', async () => {
    const share = new Uint8Array(randomBytes(32));
    const file = join(work, 'share-2.pbe');
    writeFileSync(file, await encryptShareFileAsync(share, Secret.fromString('second custodian passphrase')));
    const out = await ok('sc-hsm-tool', ['--import-dkek-share', file, '--password', 'second custodian passphrase']);
    assert.match(out, /DKEK share imported/);
    assert.match(out, /1 share\(s\) still missing/);
    const wrong = await tool('sc-hsm-tool', ['--import-dkek-share', file, '--password', 'not the passphrase']);
    assert.match(wrong.out, /Error decrypting DKEK share/);
    shares.push(share);
    await secondary.importDkekShare(share);
  });

  it('splits a share file\'s password 2-of-3 that sc-hsm-tool --pwd-shares-total rebuilds from two custodians\' shares', async () => {
    const share = new Uint8Array(randomBytes(32));
    const password = generateSharePassword();
    const sharing = splitSharePassword(password, 2, 3);
    const file = join(work, 'share-3.pbe');
    writeFileSync(file, await encryptShareFileAsync(share, Secret.fromBytes(password)));
    // What the custodians type: the prime, then for each of them <enter>, the share ID and the share value.
    const [, second, third] = sharing.shares;
    const typed = [formatColonHex(sharing.prime), '', String(second!.x), formatColonHex(second!.y), '', String(third!.x), formatColonHex(third!.y), ''].join('\n');
    const out = await ok('sc-hsm-tool', ['--import-dkek-share', file, '--pwd-shares-total', '2'], typed);
    assert.match(out, /DKEK share imported/);
    shares.push(share);
    const expected = hex(kcv(combineShares(shares)));
    assert.equal(kcvOf(out), expected);
    assert.equal((await secondary.importDkekShare(share)).kcv, expected);
    assert.equal((await overPcsc((token) => token.dkekStatus())).kcv, expected);
  });

  it('opens a share file whose password sc-hsm-tool --pwd-shares-threshold 2 --pwd-shares-total 3 split, from any two shares', async () => {
    const file = join(work, 'share-split-by-opensc.pbe');
    // <enter> once to start, then twice per share (to show it, and once it is noted).
    const out = await ok('sc-hsm-tool', ['--create-dkek-share', file, '--pwd-shares-threshold', '2', '--pwd-shares-total', '3'], '\n'.repeat(7));
    const primes = [...out.matchAll(/Prime\s*:\s*([0-9A-F:]+)/gi)].map((m) => m[1]!);
    const ids = [...out.matchAll(/Share ID\s*:\s*(\d+)/g)].map((m) => Number(m[1]));
    const values = [...out.matchAll(/Share value\s*:\s*([0-9A-F:]+)/gi)].map((m) => parseColonHex(m[1]!));
    assert.deepEqual(ids, [1, 2, 3], out);
    assert.equal(new Set(primes).size, 1);
    const prime = parseColonHex(primes[0]!);
    const bytes = new Uint8Array(readFileSync(file));
    const fromFirstAndThird = recoverSharePassword(prime, [{ x: ids[0]!, y: values[0]! }, { x: ids[2]!, y: values[2]! }]);
    const fromSecondAndThird = recoverSharePassword(prime, [{ x: ids[1]!, y: values[1]! }, { x: ids[2]!, y: values[2]! }]);
    assert.equal(hex(fromFirstAndThird), hex(fromSecondAndThird));
    const share = await decryptShareFileAsync(bytes, Secret.fromBytes(fromFirstAndThird));
    assert.equal(share.length, 32);
  });

  it('restores with sc-hsm-tool --unwrap-key a key Custos backed up, and pkcs11-tool lists it under its label', async () => {
    const original = await secondary.generateKeyPair({ kind: 'ec', curve: 'P-256' }, 'Custos Root CA');
    const file = join(work, 'custos-root.wky');
    writeFileSync(file, encodeWrappedKey(await secondary.wrapKey(original)));
    const out = await ok('sc-hsm-tool', ['--unwrap-key', file, '--key-reference', '10', '--pin', PIN]);
    assert.match(out, /Private Key Description/);
    assert.match(out, /Certificate/);
    assert.match(out, /Key successfully imported/);
    const objects = await ok('pkcs11-tool', ['--module', MODULE, '--login', '--pin', PIN, '--list-objects']);
    const restoredBlock = objects.split(/\n(?=\S)/).find((block) => /Private Key Object/.test(block) && /label:\s*Custos Root CA/.test(block));
    assert.ok(restoredBlock, `no private key labelled "Custos Root CA" in:\n${objects}`);
    // The card signs with the restored key, and the signature verifies with the key Custos backed up.
    const signed = await overPcsc(async (token) => {
      const restored = (await token.listKeys()).find((k) => k.spkiSha256 === original.spkiSha256);
      assert.ok(restored, 'Custos finds the restored key by its public key');
      assert.equal(restored.label, 'Custos Root CA');
      return await token.signer(restored).sign(message, ecdsa);
    });
    assert.ok(verifiesWith(original.spki, ecdsa, message, signed));
  });

  it('restores in Custos a key sc-hsm-tool --wrap-key backed up, with its label and CKA_ID, and refuses the file cut short or altered', async () => {
    await ok('pkcs11-tool', ['--module', MODULE, '--login', '--pin', PIN, '--keypairgen', '--key-type', 'EC:prime256v1', '--id', 'a1b2', '--label', 'OpenSC issuing key']);
    const made = await overPcsc(async (token) => (await token.listKeys()).find((k) => k.label === 'OpenSC issuing key'));
    assert.ok(made, 'pkcs11-tool made the key');
    const file = join(work, 'opensc-issuing.wky');
    await ok('sc-hsm-tool', ['--wrap-key', file, '--key-reference', String(Number.parseInt(made.id, 16)), '--pin', PIN]);
    const bytes = new Uint8Array(readFileSync(file));

    assert.throws(() => decodeWrappedKey(bytes.subarray(0, bytes.length - 1)), code('WKY_TRUNCATED'));
    assert.throws(() => decodeWrappedKey(Uint8Array.of(...bytes, 0)), code('WKY_TRAILING_BYTES'));
    const parts = decodeWky(bytes);
    const altered = Uint8Array.from(parts.blob);
    altered[altered.length - 1]! ^= 0x80;
    const keysBefore = await secondary.listKeys();
    await assert.rejects(secondary.unwrapKey(decodeWrappedKey(encodeWky({ ...parts, blob: altered }))), code('KEY_BLOB_INVALID'));
    assert.deepEqual(await secondary.listKeys(), keysBefore, 'nothing is left of the refused restore');

    const wrapped = decodeWrappedKey(bytes);
    assert.equal(wrapped.label, 'OpenSC issuing key');
    const restored: KeyRef = await secondary.unwrapKey(wrapped);
    assert.equal(restored.label, 'OpenSC issuing key');
    assert.equal(restored.spkiSha256, made.spkiSha256);
    const prkd = await secondary.card.readFileIfPresent(fid(PREFIX_PRKD, Number.parseInt(restored.id, 16)));
    assert.equal(hex(decodePrivateKeyDescription(prkd!).id), 'a1b2');
    const signature = await secondary.signer(restored).sign(message, ecdsa);
    const der = join(work, 'opensc-issuing.pub.der');
    await ok('pkcs11-tool', ['--module', MODULE, '--read-object', '--type', 'pubkey', '--id', 'a1b2', '--output-file', der]);
    const spki = new Uint8Array(createPublicKey({ key: readFileSync(der), format: 'der', type: 'spki' }).export({ format: 'der', type: 'spki' }));
    assert.ok(verifiesWith(spki, ecdsa, message, signature), 'the restored key signs for the public key pkcs11-tool reads');
  });
});
