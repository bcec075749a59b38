/**
 * crl.preview on a CA with many revocations, heard as the window hears it
 * (the progress event), on SoftHSM2: the entries read of the total, then the
 * encoding and lint under way, then the key looked for; a cancel at any of
 * these steps stops it with CANCELLED and leaves nothing:
 * no journal entry, no kept preview, the CRL number not spent. The previewed
 * CRL is the one that is then issued, every entry read back by OpenSSL.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appCoreOf, type AppCore } from '../../../electron/core.ts';
import type { EventPayload } from '../../../main/api/contract.ts';
import { dispatch } from '../../../electron/dispatch.ts';
import { Custos } from '../../../main/custos.ts';
import { createSoftHsm, type SoftHsm } from '../../support/softhsm.ts';
import { runTool } from '../../support/openssl.ts';

type Progress = EventPayload<'progress'>;
const REVOCATIONS = 12_000;
const REASONS = ['superseded', 'keyCompromise', 'cessationOfOperation', 'affiliationChanged'] as const;

describe('a CRL preview of many revocations reports its progress and can be cancelled, on SoftHSM2', () => {
  let work: string;
  let home: string;
  let hsm: SoftHsm;
  let custos: Custos;
  let core: AppCore;
  let caId: string;

  /** Every progress event the core sends while fn runs. */
  async function hearing<T>(fn: (heard: Progress[]) => Promise<T>): Promise<{ heard: Progress[]; value: T }> {
    const heard: Progress[] = [];
    const stop = core.events.subscribe((name, payload) => { if (name === 'progress') heard.push(payload as Progress); });
    try {
      return { heard, value: await fn(heard) };
    } finally {
      stop();
    }
  }

  /** Asks work.cancel for crl.preview at the first report that matches, as the window's Cancel button would. */
  function cancelWhen(matches: (p: Progress) => boolean): () => void {
    let asked = false;
    return core.events.subscribe((name, payload) => {
      const p = payload as Progress;
      if (name !== 'progress' || p.operation !== 'crl.preview' || asked || !matches(p)) return;
      asked = true;
      void core.handlers['work.cancel']({ operation: 'crl.preview' });
    });
  }

  const keptPreviews = (): string[] => { try { return readdirSync(join(home, 'previews')); } catch { return []; } };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-crl-preview-progress-'));
    home = join(work, 'home');
    hsm = await createSoftHsm();
    await hsm.initToken('Preview CA', '12345678', '123456');
    custos = Custos.open({ dataDir: home, rehearsalModules: [hsm.modulePath], operator: 'preview', pcsc: false });
    core = appCoreOf(custos);
    const tokenId = (await core.handlers['token.list']())[0]!.id;
    await core.handlers['token.login']({ tokenId, pin: '123456' });
    const key = await core.handlers['token.generateKey']({ tokenId, spec: { kind: 'ec', curve: 'P-384' }, label: 'preview-root' });
    const rootTerms = { tokenId, keySpkiSha256: key.spkiSha256, profileId: 'root-ca', subject: 'CN=Preview Root' };
    caId = (await core.handlers['ca.createRoot']({ ...rootTerms, name: 'Preview Root', tbsSha256: (await core.handlers['ca.previewRoot'](rootTerms)).tbsSha256 })).id;
    // A CA with many revocations, made quickly: revocation entries written straight into the journal for
    // serials never issued (a stand-in for years of revocations; the CRL lists them all the same).
    const revokedAt = new Date(Date.now() - 60_000).toISOString();
    for (let i = 1; i <= REVOCATIONS; i++) {
      custos.journal.append('certificate.revoke', { caId, serialHex: (0x200000 + i).toString(16), reason: REASONS[i % REASONS.length], revokedAt });
    }
  });
  after(async () => {
    await core?.close();
    await hsm?.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('stops a preview cancelled while its entries are read: CANCELLED, nothing journaled or kept, the CRL number not spent', { timeout: 240_000 }, async () => {
    const journalBefore = custos.journal.read().length;
    const keptBefore = keptPreviews();
    const stop = cancelWhen((p) => p.done > 0 && p.done < p.total);
    let outcome;
    try {
      ({ value: outcome } = await hearing(() => dispatch(core.handlers, 'crl.preview', { caId })));
    } finally {
      stop();
    }
    assert.equal(!outcome.ok && outcome.error.code, 'CANCELLED');
    assert.match(!outcome.ok ? outcome.error.message : '', /preview was cancelled while its entries were read\. Nothing was kept, recorded or signed/);
    assert.equal(custos.journal.read().length, journalBefore, 'nothing was journaled');
    assert.deepEqual(keptPreviews(), keptBefore, 'no preview was kept for a later crl.issue to sign');
    assert.deepEqual(await core.handlers['crl.list']({ caId }), []);
    // The preview can be run again at once (the hub let the cancelled one go), under the same CRL number.
    assert.equal((await core.handlers['crl.preview']({ caId })).crlNumber, '1');
  });

  for (const [when, step] of [['as its entries are about to be encoded', /^Encoding/], ['while the CA key is looked for, after the CRL was encoded', /^Looking for the key/]] as const) {
    it(`stops a preview cancelled ${when}, leaving nothing`, { timeout: 240_000 }, async () => {
      const journalBefore = custos.journal.read().length;
      const keptBefore = keptPreviews();
      const stop = cancelWhen((p) => step.test(p.label));
      let outcome;
      try {
        outcome = await dispatch(core.handlers, 'crl.preview', { caId });
      } finally {
        stop();
      }
      assert.equal(!outcome.ok && outcome.error.code, 'CANCELLED');
      assert.equal(custos.journal.read().length, journalBefore);
      assert.deepEqual(keptPreviews(), keptBefore, 'no preview was kept');
    });
  }

  it(`reports ${REVOCATIONS} entries read of the total, then the encoding under way, and previews the CRL that is then signed`, { timeout: 240_000 }, async () => {
    const journalBefore = custos.journal.read().length;
    const { heard, value: preview } = await hearing(() => core.handlers['crl.preview']({ caId }));
    assert.equal(custos.journal.read().length, journalBefore, 'a preview records nothing');
    const reports = heard.filter((p) => p.operation === 'crl.preview');
    const reading = reports.filter((p) => /revocations for the CRL preview/.test(p.label));
    assert.ok(reading.length >= REVOCATIONS / 2_000, `the entries were reported as they were read: ${reading.length} reports`);
    assert.ok(reading.every((p) => p.total === REVOCATIONS && p.cancellable === true));
    const dones = reading.map((p) => p.done);
    assert.deepEqual(dones, [...dones].sort((a, b) => a - b), 'done only grows');
    assert.equal(dones[0], 0);
    assert.equal(dones.at(-1), REVOCATIONS);
    assert.ok(dones.some((d) => d > 0 && d < REVOCATIONS), 'part way reported');
    assert.match(reading.at(-1)!.label, new RegExp(`^Read ${REVOCATIONS} of ${REVOCATIONS} revocations`));
    const [encoding, lookup] = reports.slice(-2);
    assert.equal(encoding!.label, `Encoding the CRL's ${REVOCATIONS} entries and checking them against RFC 5280`);
    assert.deepEqual([encoding!.done, encoding!.total, encoding!.cancellable], [0, 0, true]);
    assert.equal(lookup!.label, 'Looking for the key of CA "Preview Root" on the open tokens');
    assert.deepEqual([lookup!.done, lookup!.total, lookup!.cancellable], [0, 0, true]);
    assert.equal(preview.keyOnOpenToken, true);
    assert.ok(reports.every((p) => p.notCancellable === undefined), 'a preview can always be stopped');

    assert.equal(preview.entries.length, REVOCATIONS);
    assert.equal(preview.crlNumber, '1');
    const words = new Set(preview.entries.map((e) => e.reasonText));
    assert.ok(words.has('The key was compromised') && [...words].every((w) => !/^[a-z]+[A-Z]/.test(w)), `reasons in words: ${[...words].join(', ')}`);

    // The preview binds: the CRL issued under its TBS hash is the one previewed, every entry in it.
    const crl = await core.handlers['crl.issue']({ caId, tbsSha256: preview.tbsSha256 });
    assert.equal(crl.crlNumber, preview.crlNumber);
    const der = readFileSync(join(home, 'crls', caId, `${crl.crlNumber}.crl`));
    const text = await runTool('openssl', ['crl', '-inform', 'DER', '-in', 'c.crl', '-noout', '-text'], { files: { 'c.crl': der } });
    assert.equal(text.code, 0, text.stderr);
    assert.equal(text.stdout.match(/Serial Number:/g)?.length, REVOCATIONS);
    assert.equal(text.stdout.match(/Key Compromise/g)?.length, REVOCATIONS / REASONS.length);
  });

  it('refuses a preview of a CA it does not hold with CA_NOT_FOUND before any work is reported', async () => {
    const { heard, value: outcome } = await hearing(() => dispatch(core.handlers, 'crl.preview', { caId: 'ab'.repeat(32) }));
    assert.equal(!outcome.ok && outcome.error.code, 'CA_NOT_FOUND');
    assert.deepEqual(heard.filter((p) => p.operation === 'crl.preview'), []);
  });
});
