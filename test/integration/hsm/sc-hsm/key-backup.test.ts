import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isCustosError } from '../../../../main/errors/index.ts';
import { combineShares, encryptShareFile, kcv } from '../../../../main/keydomain/index.ts';
import { InProcessTransport } from '../../../../main/hsm/sc-hsm/inprocess-transport.ts';
import { ScHsmToken } from '../../../../main/hsm/sc-hsm/token.ts';
import { verifiesWith } from '../../../../main/hsm/sc-hsm/signing.ts';
import { Secret } from '../../../../main/secret.ts';
import type { SignAlgorithm } from '../../../../main/hsm/token.ts';
import { cardBench, pin } from './fixtures.ts';

const bench = cardBench();
after(() => bench.cleanup());
const code = (c: string) => (e: unknown) => isCustosError(e) && e.code === c;
const message = new TextEncoder().encode('root CA self-signature input');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
/** A test-only iteration count: the real 10 000 000 would spend ~10 s of MD5 per file. */
const FAST = { iterations: 1000 };

describe('DKEK key backup between virtual SmartCard-HSMs', () => {
  it('imports shares (raw and from a share file), wraps keys on one card and restores them on a card of the same key domain', async () => {
    const shares = [new Uint8Array(randomBytes(32)), new Uint8Array(randomBytes(32))];
    const expectedKcv = hex(kcv(combineShares(shares)));
    const file = encryptShareFile(shares[1]!, Secret.fromString('share password 2'), FAST);

    const tokens: ScHsmToken[] = [];
    for (const name of ['domain-a', 'domain-b']) {
      const token = await bench.token(await bench.card(name, { dkekShares: 2 }));
      await token.login(pin());
      const first = await token.importDkekShare(shares[0]!);
      assert.deepEqual([first.totalShares, first.outstandingShares], [2, 1]);
      await assert.rejects(token.importDkekShareFile(file, Secret.fromString('wrong password'), FAST), code('DKEK_SHARE_PASSWORD_WRONG'));
      const done = await token.importDkekShareFile(file, Secret.fromString('share password 2'), FAST);
      assert.deepEqual([done.outstandingShares, done.kcv], [0, expectedKcv]);
      tokens.push(token);
    }
    const [a, b] = tokens as [ScHsmToken, ScHsmToken];
    const cases: Array<[string, Parameters<ScHsmToken['generateKeyPair']>[0], SignAlgorithm]> = [
      ['EC root', { kind: 'ec', curve: 'P-384' }, { scheme: 'ecdsa', hash: 'SHA-384' }],
      ['RSA root', { kind: 'rsa', bits: 2048 }, { scheme: 'rsa-pkcs1', hash: 'SHA-256' }],
    ];
    for (const [label, spec, algorithm] of cases) {
      const original = await a.generateKeyPair(spec, label);
      const wrapped = await a.wrapKey(original);
      assert.equal(wrapped.kcv, expectedKcv);
      assert.equal(wrapped.label, label);
      const restored = await b.unwrapKey(wrapped);
      assert.equal(restored.spkiSha256, original.spkiSha256);
      assert.equal(restored.label, label);
      const signature = await b.signer(restored).sign(message, algorithm);
      assert.ok(verifiesWith(original.spki, algorithm, message, signature), `${label} restored signs for the original public key`);
    }
    assert.deepEqual((await b.listKeys()).map((k) => k.label).sort(), ['EC root', 'RSA root']);
    await Promise.all(tokens.map((t) => t.close()));
  });

  it('restores through EF 2F10 when the blob does not fit one APDU of the reader', async () => {
    const share = new Uint8Array(randomBytes(32));
    const a = await bench.token(await bench.card('buffer-a', { dkekShares: 1 }));
    const bCard = await bench.card('buffer-b', { dkekShares: 1 });
    const b = await ScHsmToken.open(new InProcessTransport(bCard, { ownsCard: false, maxApduBytes: 261 }));
    for (const t of [a, b]) {
      await t.login(pin());
      await t.importDkekShare(share);
    }
    const key = await a.generateKeyPair({ kind: 'rsa', bits: 2048 }, 'Big blob');
    const wrapped = await a.wrapKey(key);
    assert.ok(wrapped.blob.length > 255);
    const restored = await b.unwrapKey(wrapped);
    const algorithm: SignAlgorithm = { scheme: 'rsa-pss', hash: 'SHA-256', saltLengthBytes: 32 };
    assert.ok(verifiesWith(key.spki, algorithm, message, await b.signer(restored).sign(message, algorithm)));
    await Promise.all([a.close(), b.close()]);
  });

  it('refuses to restore into another key domain and to back up before the domain is complete', async () => {
    const a = await bench.token(await bench.card('foreign-a', { dkekShares: 1 }));
    const b = await bench.token(await bench.card('foreign-b', { dkekShares: 2 }));
    for (const t of [a, b]) await t.login(pin());
    await a.importDkekShare(new Uint8Array(randomBytes(32)));
    const key = await a.generateKeyPair({ kind: 'ec', curve: 'P-256' }, 'Root');
    const wrapped = await a.wrapKey(key);
    await assert.rejects(b.unwrapKey(wrapped), code('DKEK_INCOMPLETE'));
    const bKey = await b.generateKeyPair({ kind: 'ec', curve: 'P-256' }, 'Other');
    await assert.rejects(b.wrapKey(bKey), code('DKEK_INCOMPLETE'));
    await b.importDkekShare(new Uint8Array(randomBytes(32)));
    await b.importDkekShare(new Uint8Array(randomBytes(32)));
    await assert.rejects(b.unwrapKey(wrapped), (e) => isCustosError(e) && e.code === 'KCV_MISMATCH' && e.details['blobKcv'] === wrapped.kcv);
    assert.deepEqual((await b.listKeys()).map((k) => k.label), ['Other']);
    await Promise.all([a.close(), b.close()]);
  });

  it('stops a share file import when cancelled, with CANCELLED, having imported nothing, and reports progress until then', async () => {
    const token = await bench.token(await bench.card('cancelled', { dkekShares: 1 }));
    await token.login(pin());
    // The file's own count does not matter: the import derives at the real 10,000,000,
    // so the derivation is still running when the custodian cancels.
    const file = encryptShareFile(new Uint8Array(randomBytes(32)), Secret.fromString('share password'), { iterations: 1 });
    const controller = new AbortController();
    const seen: number[] = [];
    await assert.rejects(token.importDkekShareFile(file, Secret.fromString('share password'), {
      signal: controller.signal,
      onProgress: (done, total) => { seen.push(done / total); if (seen.length === 2) controller.abort(); },
    }), code('CANCELLED'));
    assert.ok(seen.length >= 2 && seen.every((f) => f > 0 && f < 1), `progress ${seen.join(', ')}`);
    assert.deepEqual(await token.dkekStatus().then((s) => [s.totalShares, s.outstandingShares]), [1, 1]);
    await token.close();
  });
});
