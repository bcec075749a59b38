/**
 * The core's one progress hub, heard as the window hears it (the progress
 * event), on real tokens: a key generation on SoftHSM2 and on a virtual
 * SmartCard-HSM reports the steps Custos takes (the token's generation, its
 * public key read back, its label written, the record), never stoppable and
 * saying why; a CRL of 20,000 entries reports the entries read of the total,
 * can be cancelled while nothing is recorded, and once signing begins says
 * why it cannot be; a share file's key derivation is cancelled through the
 * same hub.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appCoreOf, type AppCore } from '../../../electron/core.ts';
import type { EventPayload } from '../../../main/api/contract.ts';
import { dispatch } from '../../../electron/dispatch.ts';
import { Custos } from '../../../main/custos.ts';
import { VirtualScHsmProvider } from '../../../main/hsm/sc-hsm/provider.ts';
import { SHARE_FILE_ITERATIONS_ENV } from '../../../main/ca/key-domain.ts';
import { createSoftHsm, type SoftHsm } from '../../support/softhsm.ts';
import { createInitializedCard } from '../../support/card-process.ts';
import { runTool } from '../../support/openssl.ts';

type Progress = EventPayload<'progress'>;
const REVOCATIONS = 20_000;

/** Opens an app core on custos and records every progress event it sends. */
function listen(core: AppCore): { heard: Progress[]; stop: () => void } {
  const heard: Progress[] = [];
  const stop = core.events.subscribe((name, payload) => { if (name === 'progress') heard.push(payload as Progress); });
  return { heard, stop };
}

describe('long work through the progress hub, on SoftHSM2', () => {
  let work: string;
  let hsm: SoftHsm;
  let custos: Custos;
  let core: AppCore;
  let tokenId: string;
  let caId: string;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-work-progress-'));
    hsm = await createSoftHsm();
    await hsm.initToken('Progress CA', '12345678', '123456');
    custos = Custos.open({ dataDir: join(work, 'home'), rehearsalModules: [hsm.modulePath], operator: 'progress', pcsc: false });
    core = appCoreOf(custos);
    tokenId = (await core.handlers['token.list']())[0]!.id;
    await core.handlers['token.login']({ tokenId, pin: '123456' });
  });
  after(async () => {
    await core?.close();
    await hsm?.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('reports a key generation step by step, 0 of 4 to 4 of 4, with its estimate, and refuses to stop it, saying why', async () => {
    const { heard, stop } = listen(core);
    let refusal: Awaited<ReturnType<typeof dispatch>> | undefined;
    const stopAsked = core.events.subscribe((name, payload) => {
      if (name === 'progress' && (payload as Progress).operation === 'key.generate' && refusal === undefined) {
        void dispatch(core.handlers, 'work.cancel', { operation: 'key.generate' }).then((r) => { refusal = r; });
      }
    });
    try {
      const key = await core.handlers['token.generateKey']({ tokenId, spec: { kind: 'rsa', bits: 2048 }, label: 'progress-rsa' });
      assert.equal(key.spec.kind, 'rsa');
    } finally {
      stop();
      stopAsked();
    }
    const keygen = heard.filter((p) => p.operation === 'key.generate');
    assert.deepEqual(keygen.map((p) => [p.done, p.total]), [[0, 4], [0, 4], [1, 4], [2, 4], [3, 4], [4, 4]]);
    assert.match(keygen[1]!.label, /generating the RSA 2048 key/);
    assert.match(keygen[2]!.label, /public key/);
    assert.match(keygen[3]!.label, /label "progress-rsa"/);
    for (const p of keygen) {
      assert.equal(p.cancellable, false);
      assert.match(p.notCancellable ?? '', /half-made key/);
      assert.ok((p.estimatedMs ?? 0) >= 1000, 'an estimate from the key type');
    }
    assert.equal(refusal?.ok, false);
    assert.equal(!refusal!.ok && refusal!.error.code, 'CANCEL_UNSAFE');
    assert.match(!refusal!.ok ? refusal!.error.message : '', /half-made key/);
    assert.equal((await core.handlers['token.keys']({ tokenId })).filter((k) => k.label === 'progress-rsa').length, 1, 'the key was made whole');
  });

  it(`reports a CRL of ${REVOCATIONS} entries as entries read of the total, then signing, which cannot be stopped`, { timeout: 240_000 }, async () => {
    const key = await core.handlers['token.generateKey']({ tokenId, spec: { kind: 'ec', curve: 'P-384' }, label: 'progress-root' });
    const rootTerms = { tokenId, keySpkiSha256: key.spkiSha256, profileId: 'root-ca', subject: 'CN=Progress Root' };
    caId = (await core.handlers['ca.createRoot']({ ...rootTerms, name: 'Progress Root', tbsSha256: (await core.handlers['ca.previewRoot'](rootTerms)).tbsSha256 })).id;
    // A CA with many revocations, made quickly: revocation entries written straight into the journal
    // for serials never issued (a stand-in for years of revocations; the CRL lists them all the same).
    const revokedAt = new Date().toISOString();
    for (let i = 1; i <= REVOCATIONS; i++) custos.journal.append('certificate.revoke', { caId, serialHex: (0x100000 + i).toString(16), reason: 'superseded', revokedAt });
    const { heard, stop } = listen(core);
    let crl;
    try {
      const preview = await core.handlers['crl.preview']({ caId });
      crl = await core.handlers['crl.issue']({ caId, tbsSha256: preview.tbsSha256 });
    } finally {
      stop();
    }
    assert.equal(crl.entries, REVOCATIONS);
    const reports = heard.filter((p) => p.operation === 'crl.issue');
    const reading = reports.filter((p) => /revocations/.test(p.label));
    assert.ok(reading.length >= REVOCATIONS / 2_000, `the entries were reported as they were read: ${reading.length} reports`);
    assert.ok(reading.every((p) => p.total === REVOCATIONS && p.cancellable === true));
    const dones = reading.map((p) => p.done);
    assert.deepEqual(dones, [...dones].sort((a, b) => a - b), 'done only grows');
    assert.equal(dones[0], 0);
    assert.equal(dones[dones.length - 1], REVOCATIONS);
    assert.ok(dones.some((d) => d > 0 && d < REVOCATIONS), 'part way reported');
    const signing = reports.find((p) => /^Signing CRL/.test(p.label));
    assert.equal(signing?.cancellable, false);
    assert.match(signing?.notCancellable ?? '', /signing the CRL/);
    // OpenSSL reads the CRL the hub reported on, every entry of it.
    const file = join(work, 'home', 'crls', caId, `${crl.crlNumber}.crl`);
    const text = await runTool('openssl', ['crl', '-inform', 'DER', '-in', 'c.crl', '-noout', '-text'], { files: { 'c.crl': readFileSync(file) } });
    assert.equal(text.code, 0, text.stderr);
    assert.equal(text.stdout.match(/Serial Number:/g)?.length, REVOCATIONS);
  });

  it('stops a CRL cancelled while its entries are read: CANCELLED, nothing recorded, its CRL number not spent', { timeout: 240_000 }, async () => {
    const before = (await core.handlers['crl.list']({ caId })).length;
    const entriesBefore = custos.journal.read().length;
    const preview = await core.handlers['crl.preview']({ caId });
    const stopAsked = core.events.subscribe((name, payload) => {
      const p = payload as Progress;
      if (name === 'progress' && p.operation === 'crl.issue' && p.done > 0 && p.done < p.total) void core.handlers['work.cancel']({ operation: 'crl.issue' });
    });
    let outcome;
    try {
      outcome = await dispatch(core.handlers, 'crl.issue', { caId, tbsSha256: preview.tbsSha256 });
    } finally {
      stopAsked();
    }
    assert.equal(!outcome.ok && outcome.error.code, 'CANCELLED');
    assert.equal((await core.handlers['crl.list']({ caId })).length, before);
    assert.deepEqual(custos.journal.read(entriesBefore).filter((e) => e.kind.startsWith('crl.issue')), [], 'no intent was written');
    // The same preview still issues, under the number it showed.
    const issued = await core.handlers['crl.issue']({ caId, tbsSha256: preview.tbsSha256 });
    assert.equal(issued.crlNumber, preview.crlNumber);
  });
});

describe('long work through the progress hub, on a virtual SmartCard-HSM', () => {
  let work: string;
  let custos: Custos;
  let core: AppCore;
  let tokenId: string;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-work-progress-vsc-'));
    const state = join(work, 'card.vsc');
    await createInitializedCard(state, '648219');
    custos = Custos.open({ dataDir: join(work, 'home'), operator: 'progress', providers: [new VirtualScHsmProvider([state])], pcsc: false });
    core = appCoreOf(custos);
    tokenId = (await core.handlers['token.list']())[0]!.id;
    await core.handlers['token.login']({ tokenId, pin: '648219' });
  });
  after(async () => {
    delete process.env[SHARE_FILE_ITERATIONS_ENV];
    await core?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('reports the card\'s generation, its public key read back and its description written, in that order', async () => {
    const { heard, stop } = listen(core);
    try {
      await core.handlers['token.generateKey']({ tokenId, spec: { kind: 'ec', curve: 'P-256' }, label: 'card-key' });
    } finally {
      stop();
    }
    const labels = heard.filter((p) => p.operation === 'key.generate').map((p) => `${p.done}/${p.total} ${p.label}`);
    assert.deepEqual(labels.map((l) => l.slice(0, 3)), ['0/4', '0/4', '1/4', '2/4', '3/4', '4/4']);
    assert.match(labels[1]!, /token is generating the EC P-256 key/);
    assert.match(labels[4]!, /Recording/);
  });

  it('cancels a share file\'s key derivation through the same hub: CANCELLED, and no share file written', { timeout: 240_000 }, async () => {
    process.env[SHARE_FILE_ITERATIONS_ENV] = '10000000';
    const stopAsked = core.events.subscribe((name, payload) => {
      const p = payload as Progress;
      if (name === 'progress' && p.operation === 'keydomain.createShare' && p.done > 0 && p.cancellable) void core.handlers['work.cancel']({ operation: 'keydomain.createShare' });
    });
    let outcome;
    try {
      outcome = await dispatch(core.handlers, 'keydomain.createShare', { custodian: 'Anna', password: 'first-secret-1', passwordRepeat: 'first-secret-1' });
    } finally {
      stopAsked();
    }
    assert.equal(!outcome.ok && outcome.error.code, 'CANCELLED');
    const shares = join(work, 'home', 'dkek-shares');
    assert.deepEqual(existsSync(shares) ? readdirSync(shares).filter((n) => n.endsWith('.pbe')) : [], []);
  });
});
