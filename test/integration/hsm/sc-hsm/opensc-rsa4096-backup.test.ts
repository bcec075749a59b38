/**
 * RSA-4096 CA keys back up and restore between Custos and sc-hsm-tool, both
 * ways: the blob (about 1,100 bytes) no longer fits a short APDU, so this is
 * where the extended-length UNWRAP of OpenSC and Custos's own path meet the
 * virtual card. OpenSC's side is a virtual SmartCard-HSM behind a private
 * pcscd and vpcd in its own process; Custos's side a second one of the same
 * key domain, in-process. Needs root for pcscd's private socket.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeWrappedKey, encodeWrappedKey } from '../../../../main/hsm/sc-hsm/key-backup.ts';
import { verifiesWith } from '../../../../main/hsm/sc-hsm/signing.ts';
import type { ScHsmToken } from '../../../../main/hsm/sc-hsm/token.ts';
import type { SignAlgorithm } from '../../../../main/hsm/token.ts';
import { createInitializedCard, startCardProcess, type CardProcess } from '../../../support/card-process.ts';
import { cardBench, PIN, pin } from './fixtures.ts';
import { OPENSC_PKCS11 as MODULE, overPcsc, toolOk } from './opensc-side.ts';

const isRoot = process.getuid?.() === 0;
const message = new TextEncoder().encode('an RSA-4096 root signs after its restore');
const pkcs1: SignAlgorithm = { scheme: 'rsa-pkcs1', hash: 'SHA-256' };

describe('RSA-4096 key backup between Custos and sc-hsm-tool through pcscd and vpcd', { skip: isRoot ? false : 'a private pcscd needs root', timeout: 600_000 }, () => {
  const bench = cardBench();
  let work = '';
  let card: CardProcess;
  let secondary: ScHsmToken;

  const ok = (command: string, args: readonly string[]): Promise<string> => toolOk(card, command, args);

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-opensc-rsa4096-'));
    const stateFile = join(work, 'opensc-side.vsc');
    await createInitializedCard(stateFile, PIN, 'OpenSC side', { dkekShares: 1 });
    card = await startCardProcess(stateFile);
    const share = new Uint8Array(randomBytes(32));
    await overPcsc((token) => token.importDkekShare(share));
    secondary = await bench.token(await bench.card('custos-side', { dkekShares: 1 }));
    await secondary.login(pin());
    await secondary.importDkekShare(share);
  });

  after(async () => {
    await secondary?.close();
    await card?.stop();
    bench.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('restores with sc-hsm-tool --unwrap-key an RSA-4096 key Custos backed up, listed by pkcs11-tool under its label', async () => {
    const original = await secondary.generateKeyPair({ kind: 'rsa', bits: 4096 }, 'Custos RSA-4096 Root');
    const wrapped = await secondary.wrapKey(original);
    assert.ok(wrapped.blob.length > 1024, `${wrapped.blob.length}-byte blob`);
    const file = join(work, 'custos-rsa4096.wky');
    writeFileSync(file, encodeWrappedKey(wrapped));
    assert.match(await ok('sc-hsm-tool', ['--unwrap-key', file, '--key-reference', '20', '--pin', PIN]), /Key successfully imported/);
    const objects = await ok('pkcs11-tool', ['--module', MODULE, '--login', '--pin', PIN, '--list-objects']);
    assert.match(objects, /Private Key Object; RSA[^\n]*\n(?:[^\n]*\n)*?\s*label:\s*Custos RSA-4096 Root/);
    const signature = await overPcsc(async (token) => {
      const restored = (await token.listKeys()).find((k) => k.spkiSha256 === original.spkiSha256);
      assert.ok(restored);
      assert.equal(restored.label, 'Custos RSA-4096 Root');
      return await token.signer(restored).sign(message, pkcs1);
    });
    assert.ok(verifiesWith(original.spki, pkcs1, message, signature));
  });

  it('restores in Custos an RSA-4096 key sc-hsm-tool --wrap-key backed up, with its label', async () => {
    await ok('pkcs11-tool', ['--module', MODULE, '--login', '--pin', PIN, '--keypairgen', '--key-type', 'RSA:4096', '--id', 'c4c4', '--label', 'OpenSC RSA-4096']);
    const made = await overPcsc(async (token) => (await token.listKeys()).find((k) => k.label === 'OpenSC RSA-4096'));
    assert.ok(made);
    const file = join(work, 'opensc-rsa4096.wky');
    await ok('sc-hsm-tool', ['--wrap-key', file, '--key-reference', String(Number.parseInt(made.id, 16)), '--pin', PIN]);
    const restored = await secondary.unwrapKey(decodeWrappedKey(new Uint8Array(readFileSync(file))));
    assert.equal(restored.label, 'OpenSC RSA-4096');
    assert.equal(restored.spec.kind === 'rsa' && restored.spec.bits, 4096);
    const der = join(work, 'opensc-rsa4096.pub.der');
    await ok('pkcs11-tool', ['--module', MODULE, '--read-object', '--type', 'pubkey', '--id', 'c4c4', '--output-file', der]);
    const spki = new Uint8Array(createPublicKey({ key: readFileSync(der), format: 'der', type: 'spki' }).export({ format: 'der', type: 'spki' }));
    assert.ok(verifiesWith(spki, pkcs1, message, await secondary.signer(restored).sign(message, pkcs1)));
  });
});
