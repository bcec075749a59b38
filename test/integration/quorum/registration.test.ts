/**
 * Changes to who guards the key are themselves guarded (issue 16, item 6):
 * on a CA HSM in the protecting mode whose registered custodians can already
 * form the quorum, another custodian is registered only after the current
 * quorum has authenticated, and the journal names the custodians who approved
 * it. Real virtual SmartCard-HSMs through the core, as the CLI and the screen
 * reach them. And a custodian whose token no root attests is registered only
 * once the operator confirms it, which the journal records. A key with the
 * holder reference of a registered one but another key is refused before
 * registration, the count and the list unchanged.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Custos } from '../../../main/custos.ts';
import { isCustosError } from '../../../main/errors/index.ts';
import { decodeRegistrationFile, encodeRegistrationFile, examineCustodianKey, PROTECTING_OPTIONS } from '../../../main/hsm/sc-hsm/pka.ts';
import type { ScHsmToken } from '../../../main/hsm/sc-hsm/token.ts';
import { VirtualScHsmProvider } from '../../../main/hsm/sc-hsm/provider.ts';
import { authenticateCustodian, enrolCustodian, initQuorum, previewRegistration, QUORUM_REGISTER, quorumStatus, registerCustodian } from '../../../main/quorum/quorum.ts';
import { Secret } from '../../../main/secret.ts';
import { ScHsmCard } from '../../../main/hsm/sc-hsm/card.ts';
import { InProcessTransport } from '../../../main/hsm/sc-hsm/inprocess-transport.ts';
import { VirtualCard } from '../../../main/hsm/virtual/card.ts';
import { createInitializedCard, TEST_SO_PIN } from '../../support/card-process.ts';

const PIN = '648219';
const pin = (): Secret => Secret.fromString(PIN);
const code = (c: string) => (e: unknown) => isCustosError(e) && e.code === c;

describe('registering a custodian on a CA HSM whose quorum is already formed', () => {
  let work: string;
  let custos: Custos;
  const ids: Record<string, string> = {};
  const files: Record<string, Uint8Array> = {};

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-quorum-register-'));
    const cards = { 'CA HSM': join(work, 'ca.vsc'), Anna: join(work, 'anna.vsc'), Ben: join(work, 'ben.vsc'), Cleo: join(work, 'cleo.vsc') };
    await createInitializedCard(cards['CA HSM'], PIN, 'CA HSM', { pka: { total: 3, required: 2 }, options: PROTECTING_OPTIONS });
    for (const name of ['Anna', 'Ben', 'Cleo'] as const) await createInitializedCard(cards[name], PIN, name);
    custos = Custos.open({ dataDir: join(work, 'home'), providers: [new VirtualScHsmProvider(Object.values(cards))], pcsc: false, rehearsal: true });
    // Told apart by their reader, which names each card's state file.
    const listed = await custos.tokens.list();
    for (const [name, file] of Object.entries(cards)) ids[name] = listed.find((t) => t.info.reader?.endsWith(`(${basename(file)})`) === true)!.id;
    for (const name of ['Anna', 'Ben', 'Cleo']) {
      files[name] = (await enrolCustodian(custos, ids[name]!, pin(), { forTokenId: ids['CA HSM']! })).file;
    }
  });

  after(async () => {
    await custos?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('registers the first two custodians with the PIN alone, while they cannot yet form a quorum', async () => {
    await custos.login(ids['CA HSM']!, pin());
    await registerCustodian(custos, ids['CA HSM']!, files['Anna']!);
    const status = await registerCustodian(custos, ids['CA HSM']!, files['Ben']!);
    assert.equal(status.summary, '0 of 2 authenticated (2 registered)');
  });

  it('refuses a third custodian until the current quorum has authenticated, and registers nothing', async () => {
    await assert.rejects(registerCustodian(custos, ids['CA HSM']!, files['Cleo']!), code('QUORUM_NOT_MET'));
    await authenticateCustodian(custos, ids['CA HSM']!, ids['Anna']!, pin());
    await assert.rejects(registerCustodian(custos, ids['CA HSM']!, files['Cleo']!), code('QUORUM_NOT_MET'));
    const status = await quorumStatus(custos, ids['CA HSM']!);
    assert.equal(status.quorum?.registered, 2);
    assert.deepEqual(custos.journal.read().filter((e) => e.kind.startsWith(QUORUM_REGISTER) && e.data['chr'] === status.onCard?.[2]?.chr), []);
    assert.equal(status.onCard?.length, 2, 'the card lists two keys');
  });

  it('registers the third once two custodians have authenticated, and the journal names them as approving it', async () => {
    await authenticateCustodian(custos, ids['CA HSM']!, ids['Ben']!, pin());
    await custos.login(ids['CA HSM']!, pin());
    const status = await registerCustodian(custos, ids['CA HSM']!, files['Cleo']!);
    assert.equal(status.quorum?.registered, 3);
    assert.equal(status.onCard?.length, 3);
    const entry = custos.journal.read().filter((e) => e.kind === `${QUORUM_REGISTER}.done`).at(-1);
    assert.equal(entry?.data['chr'], status.onCard?.[2]?.chr);
    assert.deepEqual(entry?.token?.quorum?.custodians.map((c) => c.chr), status.onCard?.slice(0, 2).map((c) => c.chr));
  });

  it('shows who is registered, by CHR and device, from the journal and from the card alike', async () => {
    const status = await quorumStatus(custos, ids['CA HSM']!);
    assert.deepEqual(status.registered.map((r) => r.chr), status.onCard?.map((c) => c.chr));
    assert.ok(status.registered.every((r) => r.deviceChr.length > 0 && r.attestation === 'virtual'));
  });

  it('refuses the same custodian file a second time, naming the journal entry that registered it', async () => {
    await assert.rejects(registerCustodian(custos, ids['CA HSM']!, files['Anna']!),
      (e) => isCustosError(e) && e.code === 'CUSTODIAN_ALREADY_REGISTERED' && /journal entry #\d+/.test(e.message));
    assert.equal((await quorumStatus(custos, ids['CA HSM']!)).quorum?.registered, 3);
  });
});

describe('registering a custodian whose token has no device certificate (its 2F02 starts with a 67 request)', () => {
  let work: string;
  let custos: Custos;
  let hsmId: string;
  let file: Uint8Array;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-quorum-unattested-'));
    const hsmFile = join(work, 'ca.vsc');
    const custodianFile = join(work, 'pico-like.vsc');
    await createInitializedCard(hsmFile, PIN, 'CA HSM', { pka: { total: 2, required: 2 }, options: PROTECTING_OPTIONS });
    // A pico-hsm-like card: EF 2F02 holds its device key as a 67 request, then a self-issued certificate.
    const vc = await VirtualCard.create(custodianFile, { foreign: {} });
    const card = await ScHsmCard.open(new InProcessTransport(vc, { ownsCard: false }));
    await card.initialize({ soPin: Secret.fromString(TEST_SO_PIN), pin: pin() });
    await card.close();
    await vc.close();
    custos = Custos.open({ dataDir: join(work, 'home'), providers: [new VirtualScHsmProvider([hsmFile, custodianFile])], pcsc: false, rehearsal: true });
    const listed = await custos.tokens.list();
    hsmId = listed.find((t) => t.info.reader?.endsWith('(ca.vsc)') === true)!.id;
    const custodianId = listed.find((t) => t.info.reader?.endsWith('(pico-like.vsc)') === true)!.id;
    await custos.acceptUnattested(custodianId);
    file = (await enrolCustodian(custos, custodianId, pin(), { forTokenId: hsmId })).file;
    await custos.login(hsmId, pin());
  });

  after(async () => {
    await custos?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('shows the key as not attested, because the device element is a request, and asks for confirmation', async () => {
    const preview = await previewRegistration(custos, hsmId, file);
    assert.deepEqual([preview.attested, preview.needsConfirmation, preview.candidate.notAttestedBecause], [false, true, 'device-request']);
  });

  it('registers nothing without the operator\'s confirmation', async () => {
    await assert.rejects(registerCustodian(custos, hsmId, file), code('CUSTODIAN_NOT_ATTESTED'));
    assert.equal((await quorumStatus(custos, hsmId)).quorum?.registered, 0);
    assert.deepEqual(custos.journal.read().filter((e) => e.kind.startsWith(QUORUM_REGISTER)), []);
  });

  it('registers it once confirmed, and the journal records the confirmation', async () => {
    const status = await registerCustodian(custos, hsmId, file, { confirmUnattested: true });
    assert.equal(status.quorum?.registered, 1);
    const done = custos.journal.read().filter((e) => e.kind === `${QUORUM_REGISTER}.done`);
    assert.equal(done.length, 1);
    assert.deepEqual([done[0]!.data['attestation'], done[0]!.data['unattestedConfirmed']], ['none', true]);
    assert.deepEqual(status.registered.map((r) => [r.attestation, r.unattestedConfirmed]), [['none', true]]);
  });
});

describe('setting a CA HSM up for the quorum (custos quorum init)', () => {
  let work: string;
  let custos: Custos;
  let hsmId: string;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-quorum-init-'));
    const hsmFile = join(work, 'ca.vsc');
    await createInitializedCard(hsmFile, PIN, 'CA HSM');
    custos = Custos.open({ dataDir: join(work, 'home'), providers: [new VirtualScHsmProvider([hsmFile])], pcsc: false, rehearsal: true });
    hsmId = (await custos.tokens.list())[0]!.id;
  });

  after(async () => {
    await custos?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('refuses a quorum one custodian could meet, and leaves the HSM as it was', async () => {
    await assert.rejects(initQuorum(custos, hsmId, { soPin: Secret.fromString(TEST_SO_PIN), pin: pin(), total: 3, required: 1 }), code('INPUT_INVALID'));
    assert.equal((await quorumStatus(custos, hsmId)).quorum, undefined);
    assert.deepEqual(custos.journal.read().filter((e) => e.kind.startsWith('quorum.init')), []);
  });

  it('initializes the HSM in the protecting mode for 2 of 3, read back from the card, and journals it', async () => {
    const status = await initQuorum(custos, hsmId, { soPin: Secret.fromString(TEST_SO_PIN), pin: pin(), total: 3, required: 2 });
    assert.deepEqual([status.quorum?.mode, status.quorum?.protecting, status.summary], ['pin-and-quorum', true, '0 of 2 authenticated (0 registered)']);
    const done = custos.journal.read().filter((e) => e.kind === 'quorum.init.done');
    assert.deepEqual(done.map((e) => [e.data['mode'], e.data['protecting']]), [['pin-and-quorum', true]]);
    assert.ok(!JSON.stringify(custos.journal.read()).includes(PIN), 'no PIN in the journal');
  });
});

describe('a custodian key with the holder reference of a registered one but another key (the custodian\'s token was initialized again and enrolled anew)', () => {
  let work: string;
  let cards: { hsm: string; anna: string };
  let custos: Custos;
  let hsmId: string;
  let annaId: string;
  let first: Uint8Array;
  let second: Uint8Array;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-quorum-chr-clash-'));
    cards = { hsm: join(work, 'ca.vsc'), anna: join(work, 'anna.vsc') };
    await createInitializedCard(cards.hsm, PIN, 'CA HSM', { pka: { total: 3, required: 2 }, options: PROTECTING_OPTIONS });
    await createInitializedCard(cards.anna, PIN, 'Anna');
    custos = Custos.open({ dataDir: join(work, 'home'), providers: [new VirtualScHsmProvider(Object.values(cards))], pcsc: false, rehearsal: true });
    const listed = await custos.tokens.list();
    hsmId = listed.find((t) => t.info.reader?.endsWith('(ca.vsc)') === true)!.id;
    annaId = listed.find((t) => t.info.reader?.endsWith('(anna.vsc)') === true)!.id;
    first = (await enrolCustodian(custos, annaId, pin(), { forTokenId: hsmId })).file;
    await custos.login(hsmId, pin());
    await registerCustodian(custos, hsmId, first);
    // Initializing the token erases its keys; the next enrolment makes key 1 again: the same CHR, another key.
    const anna = await custos.tokens.open(annaId) as ScHsmToken;
    await anna.initialize({ soPin: Secret.fromString(TEST_SO_PIN), pin: pin() });
    second = (await enrolCustodian(custos, annaId, pin(), { forTokenId: hsmId })).file;
  });

  after(async () => {
    await custos?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('is the same holder reference with another key', () => {
    const [a, b] = [examineCustodianKey(decodeRegistrationFile(first)), examineCustodianKey(decodeRegistrationFile(second))];
    assert.equal(a.chr, b.chr);
    assert.notEqual(a.keySha256, b.keySha256);
  });

  it('is refused before registration with CUSTODIAN_KEY_UNSUITABLE, and the count and the registered list stay as they were', async () => {
    const before = await quorumStatus(custos, hsmId);
    await assert.rejects(previewRegistration(custos, hsmId, second), (e) => isCustosError(e) && e.code === 'CUSTODIAN_KEY_UNSUITABLE' && /cannot be told apart/.test(e.message));
    await assert.rejects(registerCustodian(custos, hsmId, second), code('CUSTODIAN_KEY_UNSUITABLE'));
    const after = await quorumStatus(custos, hsmId);
    assert.equal(after.summary, '0 of 2 authenticated (1 registered)');
    assert.deepEqual(after.onCard, before.onCard);
    assert.deepEqual(after.registered.map((r) => [r.chr, r.keySha256]), before.registered.map((r) => [r.chr, r.keySha256]));
    assert.equal(custos.journal.read().filter((e) => e.kind === `${QUORUM_REGISTER}.intent`).length, 1, 'only the first registration was begun');
  });

  it('is refused by another Custos home, whose journal never saw the first key, because the card lists the holder reference', async () => {
    await custos.close();
    custos = Custos.open({ dataDir: join(work, 'other-home'), providers: [new VirtualScHsmProvider(Object.values(cards))], pcsc: false, rehearsal: true });
    await custos.tokens.list();
    await custos.login(hsmId, pin());
    await assert.rejects(registerCustodian(custos, hsmId, second), code('CUSTODIAN_ALREADY_REGISTERED'));
    assert.equal((await quorumStatus(custos, hsmId)).summary, '0 of 2 authenticated (1 registered)');
    assert.deepEqual(custos.journal.read().filter((e) => e.kind.startsWith(QUORUM_REGISTER)), []);
  });
});

describe('a custodian whose token holds other keys besides the one registered on the CA HSM', () => {
  let work: string;
  let custos: Custos;
  const ids: Record<string, string> = {};
  let doraKeySha256: string;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-quorum-other-keys-'));
    const cards = { ca: join(work, 'ca.vsc'), dora: join(work, 'dora.vsc'), eve: join(work, 'eve.vsc') };
    await createInitializedCard(cards.ca, PIN, 'CA HSM', { pka: { total: 3, required: 2 }, options: PROTECTING_OPTIONS });
    await createInitializedCard(cards.dora, PIN, 'Dora');
    await createInitializedCard(cards.eve, PIN, 'Eve');
    custos = Custos.open({ dataDir: join(work, 'home'), providers: [new VirtualScHsmProvider(Object.values(cards))], pcsc: false, rehearsal: true });
    for (const t of await custos.tokens.list()) ids[Object.entries(cards).find(([, f]) => t.info.reader?.endsWith(`(${basename(f)})`) === true)![0]] = t.id;
    // Dora's token made a signing key first; her authentication key was made later, under a label of her own.
    const dora = await custos.login(ids['dora']!, pin()) as ScHsmToken;
    await dora.generateKeyPair({ kind: 'ec', curve: 'P-256' }, 'Dora signing key');
    const { exported } = await dora.generateCustodianKey('made with another tool');
    await dora.logout();
    const doraFile = encodeRegistrationFile(exported);
    doraKeySha256 = examineCustodianKey(exported).keySha256;
    const eveFile = (await enrolCustodian(custos, ids['eve']!, pin(), { forTokenId: ids['ca']! })).file;
    await custos.login(ids['ca']!, pin());
    await registerCustodian(custos, ids['ca']!, doraFile);
    await registerCustodian(custos, ids['ca']!, eveFile);
  });

  after(async () => {
    await custos?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('authenticates with the key the CA HSM registered, not the first key on the token, and the journal names that key', async () => {
    const status = await authenticateCustodian(custos, ids['ca']!, ids['dora']!, pin());
    assert.equal(status.summary, '1 of 2 authenticated (2 registered)');
    assert.deepEqual(status.quorum?.custodians.map((c) => c.keySha256), [doraKeySha256]);
    const done = await authenticateCustodian(custos, ids['ca']!, ids['eve']!, pin());
    assert.equal(done.summary, '2 of 2 authenticated (2 registered)');
    assert.equal(custos.journal.read().filter((e) => e.kind === 'quorum.authenticate')[0]?.data['keySha256'], doraKeySha256);
  });
});
