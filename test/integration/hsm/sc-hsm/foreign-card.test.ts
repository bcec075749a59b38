/**
 * Cards that are not what Custos expects, beside a SoftHSM2 token, through the
 * core: virtual SmartCard-HSMs provisioned as a compatible card no known root
 * attests (a 67 request and a self-issued 7F21 in EF 2F02, the serial every
 * such card shares, as pico-hsm writes them), and a card that cannot be
 * opened at all. None of them may hide another token; the foreign card works
 * once the operator has accepted it, and two of one serial are never confused.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Custos, UNATTESTED_ACCEPTED } from '../../../../main/custos.ts';
import { isCustosError } from '../../../../main/errors/index.ts';
import { VirtualScHsmProvider } from '../../../../main/hsm/sc-hsm/provider.ts';
import { InProcessTransport } from '../../../../main/hsm/sc-hsm/inprocess-transport.ts';
import { ScHsmCard } from '../../../../main/hsm/sc-hsm/card.ts';
import { VirtualCard, type CreateOptions } from '../../../../main/hsm/virtual/card.ts';
import { Secret } from '../../../../main/secret.ts';
import type { KeyRef, Token } from '../../../../main/hsm/token.ts';
import type { ListedToken } from '../../../../main/hsm/registry.ts';
import { Pkcs11Provider } from '../../../../main/hsm/pkcs11/index.ts';
import { createSoftHsm, type SoftHsm } from '../../../support/softhsm.ts';
import { PIN, SO_PIN } from './fixtures.ts';

const SOFTHSM_PIN = '246813';
const MESSAGE = new TextEncoder().encode('TBSCertificate of a rehearsal root');

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try { await p; } catch (e) { return isCustosError(e) ? e.code : `untyped: ${String(e)}`; }
  return undefined;
}

/** A virtual card in file, initialized with SO_PIN and PIN, closed again (the provider opens it). */
async function makeCard(file: string, options: CreateOptions): Promise<void> {
  const vc = await VirtualCard.create(file, options);
  const card = await ScHsmCard.open(new InProcessTransport(vc, { ownsCard: false }));
  await card.initialize({ soPin: Secret.fromString(SO_PIN), pin: Secret.fromString(PIN) });
  await card.close();
  await vc.close();
}

async function signsFor(token: Token, key: KeyRef): Promise<boolean> {
  const signature = await token.signer(key).sign(MESSAGE, { scheme: 'ecdsa', hash: 'SHA-256' });
  return verify('sha256', MESSAGE, createPublicKey({ key: Buffer.from(key.spki), format: 'der', type: 'spki' }), signature);
}

describe('foreign and unopenable cards beside a SoftHSM2 token', () => {
  let dir: string;
  let hsm: SoftHsm;
  let files: { p256: string; k1: string; twin: string; broken: string };
  let custos: Custos;

  const open = (): Custos => Custos.open({
    dataDir: join(dir, 'home'), operator: 'tester', pcsc: false,
    rehearsalModules: [hsm.modulePath],
    providers: [new VirtualScHsmProvider([files.p256, files.k1, files.twin, files.broken])],
  });
  const byReader = (tokens: ListedToken[], file: string): ListedToken => {
    const found = tokens.find((t) => t.info.reader.includes(file.split('/').pop()!));
    assert.ok(found, `a token in the reader of ${file}`);
    return found;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'custos-foreign-'));
    hsm = await createSoftHsm();
    await hsm.initToken('SoftHSM CA', '12345678', SOFTHSM_PIN);
    files = { p256: join(dir, 'pico-a.vsc'), k1: join(dir, 'pico-k1.vsc'), twin: join(dir, 'pico-b.vsc'), broken: join(dir, 'broken.vsc') };
    await makeCard(files.p256, { label: 'Pico HSM', foreign: { curve: 'P-256' } });
    await makeCard(files.twin, { label: 'Pico HSM', foreign: { curve: 'P-256' } });
    await makeCard(files.k1, { label: 'Pico HSM k1', foreign: { curve: 'secp256k1' } });
    // A card whose open throws: its state file is there, its key file is not a key.
    copyFileSync(files.p256, files.broken);
    writeFileSync(`${files.broken}.secret`, 'short');
    custos = open();
  });

  after(async () => {
    await custos.close();
    await hsm.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the foreign cards as not attested, the broken one with its error, and the SoftHSM2 token, which signs', async () => {
    const tokens = await custos.tokens.list();
    assert.equal(tokens.length, 5);
    for (const file of [files.p256, files.k1, files.twin]) {
      const { info } = byReader(tokens, file);
      assert.equal(info.attestation, 'none');
      assert.equal(info.accepted, false);
      assert.equal(info.serial, 'ESPICOHSMTR');
      assert.match(info.model, /^SmartCard-HSM-compatible/);
      assert.equal(info.error, undefined);
    }
    const broken = byReader(tokens, files.broken);
    assert.equal(broken.info.error?.code, 'FORMAT_MISMATCH');
    assert.equal(await codeOf(custos.tokens.open(broken.id)), 'FORMAT_MISMATCH');

    const soft = tokens.find((t) => t.info.backend === 'pkcs11');
    assert.ok(soft, 'the SoftHSM2 token is listed');
    const token = await custos.login(soft.id, Secret.fromString(SOFTHSM_PIN));
    const key = await custos.generateKey(soft.id, { kind: 'ec', curve: 'P-256' }, 'softhsm-root');
    assert.equal(await signsFor(token, key), true);
  });

  it('refuses the foreign card until the operator accepts it, journals the accept, and then logs in, generates and signs', async () => {
    const listed = byReader(await custos.tokens.list(), files.p256);
    assert.equal(await codeOf(custos.login(listed.id, Secret.fromString(PIN))), 'DEVICE_NOT_ATTESTED');

    const token = await custos.acceptUnattested(listed.id);
    const accepts = custos.journal.read().filter((e) => e.kind === UNATTESTED_ACCEPTED);
    assert.equal(accepts.length, 1);
    assert.equal(accepts[0]!.data['deviceKeySha256'], listed.info.deviceKeySha256);
    assert.equal(accepts[0]!.token?.deviceKeySha256, listed.info.deviceKeySha256);
    assert.equal(JSON.stringify(accepts[0]).includes(PIN), false);

    await custos.login(listed.id, Secret.fromString(PIN));
    const key = await custos.generateKey(listed.id, { kind: 'ec', curve: 'P-256' }, 'pico-root');
    assert.equal(await signsFor(token, key), true);
    const accepted = byReader(await custos.tokens.list(), files.p256);
    assert.equal(accepted.info.accepted, true);
    // The other cards of that serial are other devices: still not accepted.
    assert.equal(byReader(await custos.tokens.list(), files.twin).info.accepted, false);
  });

  it('uses a foreign card whose device key is on secp256k1 (a = 00, b = 07 in EF 2F02) once accepted', async () => {
    const listed = byReader(await custos.tokens.list(), files.k1);
    const token = await custos.acceptUnattested(listed.id);
    await custos.login(listed.id, Secret.fromString(PIN));
    // Key generation checks the card's request against the secp256k1 device key.
    const key = await custos.generateKey(listed.id, { kind: 'ec', curve: 'P-384' }, 'k1-device-key-check');
    assert.equal(key.spec.kind === 'ec' && key.spec.curve, 'P-384');
    assert.equal(await signsFor(token, key), true);
  });

  it('keeps the accept across runs: the journal holds it', async () => {
    const id = byReader(await custos.tokens.list(), files.p256).id;
    await custos.close();
    custos = open();
    const again = byReader(await custos.tokens.list(), files.p256);
    assert.equal(again.id, id);
    assert.equal(again.info.accepted, true);
    await custos.login(id, Secret.fromString(PIN));
  });

  it('tells apart two cards of one serial and label: each id opens its own card, and the journal names the device', async () => {
    const tokens = await custos.tokens.list();
    const a = byReader(tokens, files.p256);
    const b = byReader(tokens, files.twin);
    assert.equal(a.info.serial, b.info.serial);
    assert.equal(a.info.label, b.info.label);
    assert.notEqual(a.id, b.id);
    assert.notEqual(a.info.deviceKeySha256, b.info.deviceKeySha256);

    await custos.acceptUnattested(b.id);
    const tokenB = await custos.login(b.id, Secret.fromString(PIN));
    assert.equal(tokenB.info.deviceKeySha256, b.info.deviceKeySha256);
    const key = await custos.generateKey(b.id, { kind: 'ec', curve: 'P-256' }, 'only-on-b');
    const tokenA = await custos.tokens.open(a.id);
    assert.equal(tokenA.info.deviceKeySha256, a.info.deviceKeySha256);
    assert.equal(await tokenA.findKey(key.spkiSha256), undefined);
    assert.ok(await tokenB.findKey(key.spkiSha256));
    const generated = custos.journal.read().filter((e) => e.kind === 'key.generate.intent').at(-1);
    assert.equal(generated?.token?.deviceKeySha256, b.info.deviceKeySha256);
  });

  it('refuses a selection by serial alone that matches two cards', async () => {
    const provider = new VirtualScHsmProvider([files.p256, files.twin]);
    await custos.close();
    try {
      assert.equal(await codeOf(provider.open({ serial: 'ESPICOHSMTR' })), 'TOKEN_AMBIGUOUS');
      const [first] = await provider.list();
      const token = await provider.open({ serial: 'ESPICOHSMTR', deviceKeySha256: first!.deviceKeySha256! });
      assert.equal(token.info.deviceKeySha256, first!.deviceKeySha256);
    } finally {
      await provider.close();
      custos = open();
    }
  });
});

describe('a foreign card provider that cannot list', () => {
  it('is listed with its error while the other backends still list', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'custos-foreign-'));
    const failing = { backend: 'sc-hsm' as const, description: 'SmartCard-HSMs in PC/SC readers', list: async () => { throw new Error('daemon crashed'); }, open: async () => { throw new Error('unreachable'); }, close: async () => undefined };
    const good = join(dir, 'good.vsc');
    await makeCard(good, { label: 'Good' });
    const custos = Custos.open({ dataDir: join(dir, 'home'), pcsc: false, providers: [failing, new VirtualScHsmProvider([good])] });
    try {
      const tokens = await custos.tokens.list();
      assert.equal(tokens.length, 2);
      assert.equal(tokens[0]!.info.error?.code, 'INTERNAL');
      assert.match(tokens[1]!.info.reader, /good\.vsc/);
      assert.equal(tokens[1]!.info.attestation, 'virtual');
    } finally {
      await custos.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
