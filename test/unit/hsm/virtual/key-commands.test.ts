import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createHash, generateKeyPairSync, publicEncrypt, verify, diffieHellman, createECDH, type KeyObject } from 'node:crypto';
import {
  decodeCvRequest, decodeCvcChain, keyObjectFromCvcPublicKey, verifyCvcChain, verifyCvcSignature, decodeCvCertificate,
  type CvcCurve,
} from '../../../../main/pki/cvc/cvc.ts';
import { virtualSrcaCertificate } from '../../../../main/hsm/virtual/attestation.ts';
import type { VirtualCard } from '../../../../main/hsm/virtual/card.ts';
import { initialize, login, selectApplet, send, tempCard } from './card-helpers.ts';
import { ecKeyRequest, rsaKeyRequest } from './keygen-data.ts';

const AT_START = Buffer.from('54020000', 'hex');

async function devicePublicKey(card: VirtualCard) {
  const chain = decodeCvcChain((await send(card, 0x00, 0xb1, 0x2f, 0x02, AT_START, 65536)).data);
  return verifyCvcChain(chain, [decodeCvCertificate(virtualSrcaCertificate())]).publicKey;
}

async function generated(card: VirtualCard, id: number, data: Buffer): Promise<KeyObject> {
  const answer = await send(card, 0x00, 0x46, id, 0x00, data, 65536);
  assert.equal(answer.sw, 0x9000);
  const request = decodeCvRequest(answer.data);
  assert.equal(request.outerCar, card.deviceChr);
  assert.ok(verifyCvcSignature(request.inner.bodyRaw, request.inner.signature, request.inner.body.publicKey), 'inner self-signature');
  assert.ok(verifyCvcSignature(request.outerSignedRaw!, request.outerSignature!, await devicePublicKey(card)), 'outer device signature');
  return keyObjectFromCvcPublicKey(request.inner.body.publicKey);
}

describe('key generation', () => {
  for (const curve of ['P-256', 'P-384', 'P-521', 'brainpoolP256r1'] as CvcCurve[]) {
    it(`generates an EC ${curve} key and answers a request self-signed and attested by the device key`, async () => {
      const t = await tempCard();
      try {
        await initialize(t.card);
        await login(t.card);
        const key = await generated(t.card, 1, ecKeyRequest(curve));
        assert.equal(key.asymmetricKeyType, 'ec');
        const request = decodeCvRequest((await send(t.card, 0x00, 0xb1, 0xce, 0x01, AT_START, 65536)).data);
        const pk = request.inner.body.publicKey;
        assert.ok(pk.kind === 'ec' && pk.withDomainParameters && pk.curve === curve);
        assert.equal(request.inner.body.chr, 'UTCUS12345600001');
        assert.equal(request.inner.body.car, 'UTCA00001');
      } finally { await t.cleanup(); }
    });
  }

  it('generates RSA 2048 and 4096 keys with exponent 65537', { timeout: 120_000 }, async () => {
    const t = await tempCard();
    try {
      await initialize(t.card);
      await login(t.card);
      for (const [id, bits] of [[1, 2048], [2, 4096]] as const) {
        const key = await generated(t.card, id, rsaKeyRequest(bits));
        assert.equal(key.asymmetricKeyDetails?.modulusLength, bits);
        assert.equal(key.asymmetricKeyDetails?.publicExponent, 65537n);
      }
    } finally { await t.cleanup(); }
  });

  it('refuses key generation without login, and for unknown curves', async () => {
    const t = await tempCard();
    try {
      await initialize(t.card);
      assert.equal((await send(t.card, 0x00, 0x46, 0x01, 0x00, ecKeyRequest('P-256'), 65536)).sw, 0x6982);
      await login(t.card);
      const bad = ecKeyRequest('P-256');
      const at = bad.indexOf(Buffer.from('8120', 'hex')) + 5;
      bad[at] = bad[at]! ^ 0xff;
      assert.equal((await send(t.card, 0x00, 0x46, 0x01, 0x00, bad, 65536)).sw, 0x6a80);
    } finally { await t.cleanup(); }
  });
});

describe('SIGN and DECIPHER', () => {
  const message = Buffer.from('the CA signs this');
  const sha256 = createHash('sha256').update(message).digest();
  const digestInfo = Buffer.concat([Buffer.from('3031300d060960864801650304020105000420', 'hex'), sha256]);

  it('signs with RSA: raw block (20), DigestInfo (30), on-card hashing (33), PSS on a hash (40) and on-card PSS (43)', async () => {
    const t = await tempCard();
    try {
      await initialize(t.card);
      await login(t.card);
      const key = await generated(t.card, 1, rsaKeyRequest(2048));
      // 20: the host pads (PKCS#1 v1.5 type 1) as OpenSC does.
      const block = Buffer.concat([Buffer.from([0x00, 0x01]), Buffer.alloc(256 - 3 - digestInfo.length, 0xff), Buffer.from([0x00]), digestInfo]);
      for (const [algo, input] of [[0x20, block], [0x30, digestInfo], [0x33, message]] as const) {
        const signed = await send(t.card, 0x80, 0x68, 0x01, algo, input, 512);
        assert.equal(signed.sw, 0x9000, `algo ${algo.toString(16)}`);
        assert.equal(signed.data.length, 256);
        assert.ok(verify('sha256', message, { key, padding: constants.RSA_PKCS1_PADDING }, signed.data), `algo ${algo.toString(16)}`);
      }
      for (const [algo, input] of [[0x40, sha256], [0x40, digestInfo], [0x43, message]] as const) {
        const signed = await send(t.card, 0x80, 0x68, 0x01, algo, input, 512);
        assert.equal(signed.sw, 0x9000);
        assert.ok(verify('sha256', message, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signed.data), `algo ${algo.toString(16)}`);
      }
    } finally { await t.cleanup(); }
  });

  it('signs with ECDSA on a given hash (70) and with on-card SHA-1 to SHA-512 (71–75), DER-encoded', async () => {
    const t = await tempCard();
    try {
      await initialize(t.card);
      await login(t.card);
      const key = await generated(t.card, 1, ecKeyRequest('P-384'));
      const on = await send(t.card, 0x80, 0x68, 0x01, 0x70, createHash('sha384').update(message).digest(), 512);
      assert.equal(on.data[0], 0x30);
      assert.ok(verify('sha384', message, key, on.data));
      for (const [algo, hash] of [[0x71, 'sha1'], [0x72, 'sha224'], [0x73, 'sha256'], [0x74, 'sha384'], [0x75, 'sha512']] as const) {
        const signed = await send(t.card, 0x80, 0x68, 0x01, algo, message, 512);
        assert.equal(signed.sw, 0x9000);
        assert.ok(verify(hash, message, key, signed.data), hash);
      }
    } finally { await t.cleanup(); }
  });

  it('decrypts RSA raw (21) and derives an ECDH secret (80)', async () => {
    const t = await tempCard();
    try {
      await initialize(t.card);
      await login(t.card);
      const rsa = await generated(t.card, 1, rsaKeyRequest(2048));
      const secret = Buffer.from('wrapped session key');
      const cryptogram = publicEncrypt({ key: rsa, padding: constants.RSA_PKCS1_PADDING }, secret);
      const plain = await send(t.card, 0x80, 0x62, 0x01, 0x21, cryptogram, 512);
      assert.equal(plain.sw, 0x9000);
      assert.equal(plain.data.length, 256);
      assert.ok(plain.data.subarray(-secret.length).equals(secret));
      const ec = await generated(t.card, 2, ecKeyRequest('P-256'));
      const peer = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const peerPoint = createECDH('prime256v1');
      peerPoint.setPrivateKey(Buffer.from(peer.privateKey.export({ format: 'jwk' }).d!, 'base64url'));
      const shared = await send(t.card, 0x80, 0x62, 0x02, 0x80, peerPoint.getPublicKey(), 512);
      assert.equal(shared.sw, 0x9000);
      assert.ok(shared.data.subarray(1).equals(diffieHellman({ privateKey: peer.privateKey, publicKey: ec })));
    } finally { await t.cleanup(); }
  });

  it('refuses to sign without login, with the device key, with a missing key and with a foreign algorithm', async () => {
    const t = await tempCard();
    try {
      await initialize(t.card);
      await login(t.card);
      await generated(t.card, 1, ecKeyRequest('P-256'));
      assert.equal((await send(t.card, 0x80, 0x68, 0x00, 0x70, sha256, 512)).sw, 0x6982);
      assert.equal((await send(t.card, 0x80, 0x68, 0x09, 0x70, sha256, 512)).sw, 0x6a82);
      assert.equal((await send(t.card, 0x80, 0x68, 0x01, 0x20, sha256, 512)).sw, 0x6a81);
      await selectApplet(t.card);
      assert.equal((await send(t.card, 0x80, 0x68, 0x01, 0x70, sha256, 512)).sw, 0x6982);
    } finally { await t.cleanup(); }
  });
});

