import 'reflect-metadata';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { isCustosError } from '../../../../main/errors/index.ts';
import { verifiesWith } from '../../../../main/hsm/sc-hsm/signing.ts';
import { verifyDeviceCertificates } from '../../../../main/hsm/sc-hsm/device.ts';
import { VirtualScHsmProvider } from '../../../../main/hsm/sc-hsm/provider.ts';
import type { KeySpec, SignAlgorithm } from '../../../../main/hsm/token.ts';
import { join } from 'node:path';
import { VirtualCard } from '../../../../main/hsm/virtual/card.ts';
import { Secret } from '../../../../main/secret.ts';
import { cardBench, pin, SO_PIN } from './fixtures.ts';

const bench = cardBench();
after(() => bench.cleanup());
const code = (c: string) => (e: unknown) => isCustosError(e) && e.code === c;
const message = new TextEncoder().encode('TBSCertificate of a subordinate CA');

async function selfSignedFor(spki: Uint8Array): Promise<Uint8Array> {
  // The certificate is signed by a throwaway key: only its subject public key matters to the card.
  const issuer = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const key = new x509.PublicKey(Uint8Array.from(spki));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '01', subject: 'CN=Custos test key', issuer: 'CN=Custos test issuer',
    notBefore: new Date('2026-01-01'), notAfter: new Date('2027-01-01'),
    publicKey: key,
    signingKey: issuer.privateKey, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
  }, webcrypto as unknown as Crypto);
  return new Uint8Array(cert.rawData);
}

describe('ScHsmToken on a virtual SmartCard-HSM', () => {
  it('identifies the card: serial from the device CHR, chain to the virtual root, PIN state before login', async () => {
    const vc = await bench.card('identity');
    const token = await bench.token(vc);
    assert.equal(token.info.backend, 'sc-hsm');
    assert.equal(token.info.virtual, true);
    assert.equal(token.info.serial, vc.serial);
    assert.equal(token.info.label, 'SmartCard-HSM');
    assert.equal(token.device.attestation, 'virtual');
    assert.equal(token.device.path.at(-1), token.device.deviceChr);
    assert.deepEqual(token.info.pinState, { initialized: true, countLow: false, finalTry: false, locked: false, triesLeft: 3 });
    assert.equal(token.info.loggedIn, false);
    const tampered = Uint8Array.from(await token.card.readFile(0x2f02));
    tampered[tampered.length - 10]! ^= 0x01;
    assert.throws(() => verifyDeviceCertificates(tampered), (e) => isCustosError(e) && (e.code === 'CVC_SIGNATURE_INVALID' || e.code === 'CVC_MALFORMED'));
    await token.close();
  });

  it('initializes a blank card, and unblocks a blocked PIN with the SO-PIN', async () => {
    const vc = await VirtualCard.create(join(bench.dir, 'blank-token.card'));
    const token = await bench.token(vc);
    assert.equal(token.info.pinState.initialized, false);
    await assert.rejects(token.login(pin()), code('TOKEN_NOT_INITIALIZED'));
    const info = await token.initialize({ soPin: Secret.fromString(SO_PIN), pin: pin(), pinRetries: 1 });
    assert.deepEqual([info.pinState.initialized, info.pinState.triesLeft, info.pinState.finalTry], [true, 1, true]);
    await assert.rejects(token.login(pin('000000'), { confirmFinalTry: true }), code('PIN_BLOCKED'));
    assert.equal(token.info.pinState.locked, true);
    await token.unblockPin(Secret.fromString(SO_PIN), pin('135790'));
    assert.equal(token.info.pinState.locked, false);
    await token.login(pin('135790'), { confirmFinalTry: true });
    await token.changePin(pin('135790'), pin());
    await token.logout();
    await token.login(pin(), { confirmFinalTry: true });
    await token.close();
  });

  it('refuses to spend the final PIN try without confirmation and reports it in the PIN state', async () => {
    const vc = await bench.card('final-try');
    const token = await bench.token(vc);
    await assert.rejects(token.login(pin('999999')), code('PIN_INCORRECT'));
    await assert.rejects(token.login(pin('999999')), code('PIN_INCORRECT'));
    assert.equal(token.info.pinState.finalTry, true);
    assert.equal(token.info.pinState.countLow, true);
    await assert.rejects(token.login(pin()), code('PIN_FINAL_TRY'));
    assert.equal((await token.refresh()).pinState.triesLeft, 1, 'the refusal spent no try');
    await token.login(pin(), { confirmFinalTry: true });
    assert.equal(token.info.loggedIn, true);
    assert.equal(token.info.pinState.triesLeft, undefined);
    await token.logout();
    assert.equal(token.info.loggedIn, false);
    await token.close();
  });

  const cases: Array<{ spec: KeySpec; algorithms: SignAlgorithm[] }> = [
    { spec: { kind: 'ec', curve: 'P-256' }, algorithms: [{ scheme: 'ecdsa', hash: 'SHA-256' }] },
    { spec: { kind: 'ec', curve: 'P-384' }, algorithms: [{ scheme: 'ecdsa', hash: 'SHA-384' }] },
    { spec: { kind: 'ec', curve: 'P-521' }, algorithms: [{ scheme: 'ecdsa', hash: 'SHA-512' }] },
    { spec: { kind: 'rsa', bits: 2048 }, algorithms: [{ scheme: 'rsa-pkcs1', hash: 'SHA-256' }, { scheme: 'rsa-pss', hash: 'SHA-256', saltLengthBytes: 32 }] },
    { spec: { kind: 'rsa', bits: 4096 }, algorithms: [{ scheme: 'rsa-pkcs1', hash: 'SHA-512' }, { scheme: 'rsa-pss', hash: 'SHA-384', saltLengthBytes: 48 }] },
  ];

  it('generates EC and RSA keys (RSA-4096 included) whose signatures node:crypto verifies with the listed SPKI', async () => {
    const vc = await bench.card('keys');
    const token = await bench.token(vc);
    await token.login(pin());
    for (const { spec, algorithms } of cases) {
      const label = `CA ${JSON.stringify(spec)}`;
      const key = await token.generateKeyPair(spec, label);
      assert.deepEqual(key.spec, spec);
      assert.equal(key.spkiSha256, createHash('sha256').update(key.spki).digest('hex'));
      const found = await token.findKey(key.spkiSha256);
      assert.equal(found?.label, label);
      const signer = token.signer(found!);
      for (const algorithm of algorithms) {
        const signature = await signer.sign(message, algorithm);
        assert.equal(verifiesWith(key.spki, algorithm, message, signature), true, `${label} ${algorithm.scheme}`);
        assert.equal(verifiesWith(key.spki, algorithm, new TextEncoder().encode('other'), signature), false);
      }
    }
    assert.equal((await token.listKeys()).length, cases.length);
    assert.deepEqual(token.signer((await token.listKeys())[0]!).token, {
      label: 'SmartCard-HSM', serial: vc.serial, model: token.info.model, backend: 'sc-hsm', virtual: true, deviceKeySha256: token.device.deviceKeySha256,
    });
    await token.close();
  });

  it('refuses a label already used, renames a key, stores its certificate and deletes it with its objects', async () => {
    const vc = await bench.card('objects');
    const token = await bench.token(vc);
    await token.login(pin());
    const a = await token.generateKeyPair({ kind: 'ec', curve: 'P-256' }, 'Root');
    const b = await token.generateKeyPair({ kind: 'ec', curve: 'P-256' }, 'Issuing');
    await assert.rejects(token.generateKeyPair({ kind: 'ec', curve: 'P-256' }, 'Root'), code('KEY_LABEL_EXISTS'));
    await assert.rejects(token.labelKey(b, 'Root'), code('KEY_LABEL_EXISTS'));
    await token.labelKey(b, 'Issuing 2026');
    assert.deepEqual((await token.listKeys()).map((k) => k.label).sort(), ['Issuing 2026', 'Root']);

    const certificate = await selfSignedFor(a.spki);
    await assert.rejects(token.storeCertificate(b, certificate), code('FORMAT_MISMATCH'));
    await token.storeCertificate(a, certificate);
    assert.deepEqual(await token.card.readFile(0xce00 | Number.parseInt(a.id, 16)), certificate);
    const listed = await token.findKey(a.spkiSha256);
    assert.equal(listed?.label, 'Root', 'the key is still found by its SPKI once CE holds the X.509 certificate');
    assert.ok(verifiesWith(a.spki, { scheme: 'ecdsa', hash: 'SHA-256' }, message, await token.signer(listed!).sign(message, { scheme: 'ecdsa', hash: 'SHA-256' })));

    await token.deleteKey(a);
    const fids = await token.card.enumerateObjects();
    const id = Number.parseInt(a.id, 16);
    assert.equal([0xcc00, 0xc400, 0xce00].some((p) => fids.includes(p | id)), false);
    assert.deepEqual((await token.listKeys()).map((k) => k.label), ['Issuing 2026']);
    await assert.rejects(token.signer(a).sign(message, { scheme: 'ecdsa', hash: 'SHA-256' }), code('KEY_NOT_FOUND'));
    await token.close();
  });

  it('runs concurrent calls one after the other, so parallel signatures and listings all succeed', async () => {
    const vc = await bench.card('parallel');
    const token = await bench.token(vc);
    await token.login(pin());
    const key = await token.generateKeyPair({ kind: 'rsa', bits: 2048 }, 'Parallel');
    const algorithm: SignAlgorithm = { scheme: 'rsa-pss', hash: 'SHA-256', saltLengthBytes: 32 };
    const results = await Promise.all([
      ...Array.from({ length: 6 }, (_, i) => token.signer(key).sign(Uint8Array.of(i), algorithm)),
      token.listKeys(), token.generateKeyPair({ kind: 'ec', curve: 'P-256' }, 'Parallel EC'), token.listKeys(),
    ]);
    results.slice(0, 6).forEach((signature, i) => assert.ok(verifiesWith(key.spki, algorithm, Uint8Array.of(i), signature as Uint8Array)));
    assert.equal((await token.listKeys()).length, 2);
    await token.close();
    await assert.rejects(token.listKeys(), code('SESSION_FAILED'));
  });

  it('throws AUTH_STATE_LOST when the card forgets the login mid-operation, and signs again after a new login', async () => {
    const vc = await bench.card('lost-login');
    const token = await bench.token(vc);
    await token.login(pin());
    const key = await token.generateKeyPair({ kind: 'ec', curve: 'P-256' }, 'Root');
    vc.reset();
    await assert.rejects(token.signer(key).sign(message, { scheme: 'ecdsa', hash: 'SHA-256' }), code('AUTH_STATE_LOST'));
    await vc.transmit(Uint8Array.from(Buffer.from('00A4040C0BE82B0601040181C31F0201', 'hex')));
    await assert.rejects(token.generateKeyPair({ kind: 'ec', curve: 'P-256' }, 'Second'), code('NOT_LOGGED_IN'));
    await token.login(pin());
    await vc.transmit(Uint8Array.from(Buffer.from('00A4040C0BE82B0601040181C31F0201', 'hex')));
    await assert.rejects(token.generateKeyPair({ kind: 'ec', curve: 'P-256' }, 'Second'), code('AUTH_STATE_LOST'));
    assert.equal((await token.listKeys()).length, 1, 'nothing half-written');
    await token.login(pin());
    assert.ok(verifiesWith(key.spki, { scheme: 'ecdsa', hash: 'SHA-256' }, message, await token.signer(key).sign(message, { scheme: 'ecdsa', hash: 'SHA-256' })));
    await token.close();
    assert.equal((await (await bench.token(vc)).card.pinStatus()).verified, false, 'close() logged the card out');
  });
});

describe('VirtualScHsmProvider', () => {
  it('lists virtual cards and opens one by serial, refusing an unknown one', async () => {
    const one = await bench.card('provider-one');
    const two = await bench.card('provider-two');
    // The provider holds a card the way a reader connection does: the fixture lets go of them first.
    await Promise.all([one.close(), two.close()]);
    const provider = new VirtualScHsmProvider([`${bench.dir}/provider-one.card`, `${bench.dir}/provider-two.card`]);
    const listed = await provider.list();
    assert.deepEqual(listed.map((i) => i.serial).sort(), [one.serial, two.serial].sort());
    assert.ok(listed.every((i) => i.virtual));
    const token = await provider.open({ serial: two.serial });
    assert.equal(token.info.serial, two.serial);
    assert.deepEqual((await provider.list()).map((i) => i.serial).sort(), [one.serial, two.serial].sort(), 'a token held open is still listed');
    await assert.rejects(provider.open({ serial: two.serial }), code('OPERATION_IN_PROGRESS'));
    await assert.rejects(provider.open({ serial: 'XX0000000' }), code('TOKEN_NOT_FOUND'));
    await assert.rejects(provider.open({ label: 'SmartCard-HSM' }), code('OPERATION_IN_PROGRESS'));
    await token.close();
    await assert.rejects(provider.open({ label: 'SmartCard-HSM' }), code('TOKEN_AMBIGUOUS'));
    await provider.close();
  });

  it('opens two cards asked for at once: the probes take turns instead of finding each other\'s card busy', async () => {
    const cards = await Promise.all(['at-once-one', 'at-once-two'].map((n) => bench.card(n)));
    await Promise.all(cards.map((c) => c.close()));
    const provider = new VirtualScHsmProvider(['at-once-one', 'at-once-two'].map((n) => `${bench.dir}/${n}.card`));
    // The second card is asked for first: its probe holds the first card while the other open looks for it.
    const wanted = [cards[1]!, cards[0]!];
    const opened = await Promise.all(wanted.map((c) => provider.open({ serial: c.serial })));
    assert.deepEqual(opened.map((t) => t.info.serial), wanted.map((c) => c.serial));
    await provider.close();
  });
});
