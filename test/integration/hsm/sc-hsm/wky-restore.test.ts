/**
 * A key backed up into a .wky file as sc-hsm-tool --wrap-key writes it (blob,
 * PrKD, certificate) and restored from that file on a second virtual card of
 * the same key domain, through the driver: the label and the PKCS#15 iD come
 * back, the restored key proves itself by a signature, and a damaged file
 * leaves nothing on the card.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isCustosError } from '../../../../main/errors/index.ts';
import { decodeWky, encodeWky } from '../../../../main/keydomain/index.ts';
import { fid, PREFIX_PRKD } from '../../../../main/hsm/sc-hsm/commands.ts';
import { decodeWrappedKey, encodeWrappedKey } from '../../../../main/hsm/sc-hsm/key-backup.ts';
import { decodePrivateKeyDescription } from '../../../../main/hsm/sc-hsm/pkcs15.ts';
import { verifiesWith } from '../../../../main/hsm/sc-hsm/signing.ts';
import type { ScHsmToken } from '../../../../main/hsm/sc-hsm/token.ts';
import type { KeyRef, KeySpec, SignAlgorithm } from '../../../../main/hsm/token.ts';
import { cardBench, pin } from './fixtures.ts';

const bench = cardBench();
after(() => bench.cleanup());
const code = (c: string) => (e: unknown) => isCustosError(e) && e.code === c;
const message = new TextEncoder().encode('signed by the restored key');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

async function domainPair(name: string): Promise<[ScHsmToken, ScHsmToken]> {
  const share = new Uint8Array(randomBytes(32));
  const tokens: ScHsmToken[] = [];
  for (const side of ['primary', 'secondary']) {
    const token = await bench.token(await bench.card(`${name}-${side}`, { dkekShares: 1 }));
    await token.login(pin());
    await token.importDkekShare(share);
    tokens.push(token);
  }
  return tokens as [ScHsmToken, ScHsmToken];
}

async function descriptionOf(token: ScHsmToken, key: KeyRef): Promise<ReturnType<typeof decodePrivateKeyDescription>> {
  const keyId = Number.parseInt(key.id, 16);
  const prkd = await token.card.readFileIfPresent(fid(PREFIX_PRKD, keyId));
  assert.ok(prkd, `C4 of key ${key.id}`);
  return decodePrivateKeyDescription(prkd);
}

async function keyIds(token: ScHsmToken): Promise<number[]> {
  return (await token.card.enumerateObjects()).filter((f) => f >> 8 === 0xcc && (f & 0xff) !== 0).map((f) => f & 0xff);
}

describe('.wky backup and restore between SmartCard-HSMs of one key domain', () => {
  const cases: Array<[string, KeySpec, SignAlgorithm]> = [
    ['EC P-384', { kind: 'ec', curve: 'P-384' }, { scheme: 'ecdsa', hash: 'SHA-384' }],
    ['RSA-4096', { kind: 'rsa', bits: 4096 }, { scheme: 'rsa-pkcs1', hash: 'SHA-256' }],
  ];
  for (const [what, spec, algorithm] of cases) {
    it(`writes blob, PrKD and certificate for ${what}, and the restore brings back label and iD and signs for the original`, { timeout: 120_000 }, async () => {
      const [a, b] = await domainPair(what.replace(/\W/g, ''));
      // An unrelated key first, so the restored one lands on another key reference than it had.
      await b.generateKeyPair({ kind: 'ec', curve: 'P-256' }, 'already here');
      const original = await a.generateKeyPair(spec, `Root CA ${what}`);
      const file = encodeWrappedKey(await a.wrapKey(original));
      const parts = decodeWky(file);
      assert.ok(parts.prkd && parts.certificate, 'the file holds PrKD and certificate');
      assert.equal(decodePrivateKeyDescription(parts.prkd).label, `Root CA ${what}`);

      const restored = await b.unwrapKey(decodeWrappedKey(file));
      assert.equal(restored.label, `Root CA ${what}`);
      assert.equal(restored.spkiSha256, original.spkiSha256);
      const before = await descriptionOf(a, original);
      const after = await descriptionOf(b, restored);
      assert.notEqual(after.keyReference, before.keyReference);
      assert.equal(after.keyReference, Number.parseInt(restored.id, 16), 'the PrKD names the key reference the key now has');
      // iD 01 is taken by the key already on the secondary, so the restored key gets its own reference as iD.
      assert.equal(hex(after.id), after.keyReference.toString(16).padStart(2, '0'));
      assert.ok(verifiesWith(original.spki, algorithm, message, await b.signer(restored).sign(message, algorithm)));
      await Promise.all([a.close(), b.close()]);
    });
  }

  it('keeps the PKCS#15 iD when the secondary has no key using it', async () => {
    const [a, b] = await domainPair('same-id');
    await a.generateKeyPair({ kind: 'ec', curve: 'P-256' }, 'first');
    const original = await a.generateKeyPair({ kind: 'ec', curve: 'P-256' }, 'second');
    const restored = await b.unwrapKey(decodeWrappedKey(encodeWrappedKey(await a.wrapKey(original))));
    assert.equal(hex((await descriptionOf(b, restored)).id), hex((await descriptionOf(a, original)).id));
    await Promise.all([a.close(), b.close()]);
  });

  it('refuses a .wky whose blob was altered with KEY_BLOB_INVALID and leaves no key behind', async () => {
    const [a, b] = await domainPair('altered');
    const original = await a.generateKeyPair({ kind: 'ec', curve: 'P-256' }, 'Root');
    const parts = decodeWky(encodeWrappedKey(await a.wrapKey(original)));
    const blob = Uint8Array.from(parts.blob);
    blob[blob.length - 20]! ^= 0x01;
    await assert.rejects(b.unwrapKey(decodeWrappedKey(encodeWky({ ...parts, blob }))), code('KEY_BLOB_INVALID'));
    assert.deepEqual(await keyIds(b), []);
    assert.deepEqual(await b.listKeys(), []);
    await Promise.all([a.close(), b.close()]);
  });

  it('refuses a .wky put together from one key\'s blob and another key\'s certificate, and leaves no key behind', async () => {
    const [a, b] = await domainPair('assembled');
    const first = decodeWky(encodeWrappedKey(await a.wrapKey(await a.generateKeyPair({ kind: 'ec', curve: 'P-256' }, 'one'))));
    const second = decodeWky(encodeWrappedKey(await a.wrapKey(await a.generateKeyPair({ kind: 'ec', curve: 'P-256' }, 'two'))));
    await assert.rejects(b.unwrapKey(decodeWrappedKey(encodeWky({ ...first, certificate: second.certificate! }))), code('KEY_BLOB_INVALID'));
    assert.deepEqual(await keyIds(b), []);
    const rsa = decodeWky(encodeWrappedKey(await a.wrapKey(await a.generateKeyPair({ kind: 'rsa', bits: 2048 }, 'three'))));
    assert.throws(() => decodeWrappedKey(encodeWky({ ...first, certificate: rsa.certificate! })), code('WKY_MALFORMED'));
    assert.throws(() => decodeWrappedKey(encodeWky({ blob: first.blob })), code('WKY_PUBLIC_KEY_MISSING'));
    await Promise.all([a.close(), b.close()]);
  });
});
