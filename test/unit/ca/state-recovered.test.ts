/**
 * CaState over the entries a kill -9 leaves when the token signed a CA
 * certificate or a CRL and the run ended before its done entry: the intent, the
 * abandoned entry the next open writes, then the kept certificate as
 * `<act>.recovered`. The certificates are made by the real planning and
 * signing path with software signers standing in for tokens (test/unit/pki/x509/chain.ts).
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { CaState, normalizeSerial } from '../../../main/ca/state.ts';
import type { JournalEntry } from '../../../main/journal/index.ts';
import type { TokenRecord } from '../../../main/hsm/token.ts';
import { readCertificate } from '../../../main/pki/x509/tbs-reader.ts';
import { describeCertificate } from '../../../main/pki/x509/preview.ts';
import { makeRoot, makeSubordinate, type TestCa } from '../pki/x509/chain.ts';
import { softSigner, type SoftSigner } from '../../support/soft-signer.ts';
import { buildCrlTbs, parseCrl, signCrl } from '../../../main/pki/x509/crl.ts';
import { algorithmIdentifierFor, signAlgorithmFor } from '../../../main/pki/x509/algorithms.ts';

const TOKEN: TokenRecord = { label: 'Root HSM', serial: 'DECM0102330', model: 'SmartCard-HSM', backend: 'sc-hsm', virtual: false };
const b64 = (der: Uint8Array): string => Buffer.from(der).toString('base64');
const tbsSha256 = (certDer: Uint8Array): string => createHash('sha256').update(readCertificate(certDer).der).digest('hex');

/** Builds a journal's entries in order, with seqs as the journal gives them. */
class Entries {
  readonly list: JournalEntry[] = [];
  add(kind: string, data: Record<string, unknown>, extra: { intent?: number; token?: TokenRecord } = {}): JournalEntry {
    const e: JournalEntry = {
      seq: this.list.length + 1, time: new Date(Date.UTC(2026, 0, 1, 0, this.list.length)).toISOString(), kind, operator: 'test',
      data: data as JournalEntry['data'], prev: '', hash: '', ...extra,
    };
    this.list.push(e);
    return e;
  }

  journalKey(key: SoftSigner, caIds: string[] = []): void {
    this.add('journal.key', { keySpkiSha256: key.spkiSha256, spki: b64(key.spki), caIds }, { token: TOKEN });
  }

  /** A root made and recorded as done, as createRoot records it. */
  rootDone(root: TestCa, name: string, journalKey: SoftSigner): string {
    const d = describeCertificate(root.certDer);
    const intent = this.add('ca.root.intent', { name, profileId: 'root-ca', serialHex: d.serialHex, tbsSha256: tbsSha256(root.certDer), keySpkiSha256: root.signer.spkiSha256 }, { token: TOKEN });
    this.add('ca.root.done', {
      caId: d.sha256, certificate: b64(root.certDer), sha256: d.sha256, serialHex: d.serialHex, subject: d.subject.text, issuer: d.issuer.text,
      notBefore: d.validity.notBefore, notAfter: d.validity.notAfter, profileId: 'root-ca', isCa: true,
      newCa: { name, keySpkiSha256: root.signer.spkiSha256, keySpec: { ...root.signer.spec }, journalKey: { keySpkiSha256: journalKey.spkiSha256, spki: b64(journalKey.spki) } },
    }, { intent: intent.seq, token: TOKEN });
    return d.sha256;
  }

  /** The intent, then what the next open writes after a kill: abandoned, then recovered with the kept bytes. */
  killedAfterSigning(act: 'ca.root' | 'certificate.issue' | 'crl.issue', intentData: Record<string, unknown>, kept: Uint8Array): JournalEntry {
    const intent = this.add(`${act}.intent`, intentData, { token: TOKEN });
    this.add(`${act}.abandoned`, { reason: 'the process ended between intent and result; check the token and outputs' }, { intent: intent.seq, token: TOKEN });
    return this.add(`${act}.recovered`, { result: b64(kept), sha256: createHash('sha256').update(kept).digest('hex'), bytes: kept.length, reason: 'kept' }, { intent: intent.seq, token: TOKEN });
  }
}

describe('CaState with a CA certificate recorded after a kill -9', () => {
  let root: TestCa;
  let otherRoot: TestCa;
  let sub: TestCa;
  let journalKey: SoftSigner;

  before(async () => {
    root = await makeRoot();
    otherRoot = await makeRoot();
    sub = await makeSubordinate(root);
    journalKey = softSigner({ kind: 'ec', curve: 'P-256' }, 'journal key');
  });

  const rootIntent = (ca: TestCa, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    name: 'Offline Root', profileId: 'root-ca', subject: describeCertificate(ca.certDer).subject.text, serialHex: describeCertificate(ca.certDer).serialHex,
    tbsSha256: tbsSha256(ca.certDer), keySpkiSha256: ca.signer.spkiSha256, ...extra,
  });
  const subIntent = (caId: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    caId, requestId: 'ab'.repeat(32), profileId: 'subordinate-ca', subject: describeCertificate(sub.certDer).subject.text,
    serialHex: describeCertificate(sub.certDer).serialHex, tbsSha256: tbsSha256(sub.certDer), ...extra,
  });

  it('makes a root recovered from ca.root.recovered a CA, named and tied to the journal key its intent names', () => {
    const j = new Entries();
    j.journalKey(journalKey);
    const recovered = j.killedAfterSigning('ca.root', rootIntent(root, {
      keySpec: { ...root.signer.spec }, journalKey: { keySpkiSha256: journalKey.spkiSha256 },
    }), root.certDer);
    const state = CaState.fromEntries(j.list);
    const id = describeCertificate(root.certDer).sha256;
    const ca = state.cas.get(id);
    assert.ok(ca, 'the root is in the CA list');
    assert.equal(ca.name, 'Offline Root');
    assert.equal(ca.kind, 'root');
    assert.equal(ca.issuerId, undefined);
    assert.equal(ca.keySpkiSha256, root.signer.spkiSha256);
    assert.deepEqual(ca.keySpec, root.signer.spec);
    assert.deepEqual(Buffer.from(ca.certDer), Buffer.from(root.certDer));
    assert.equal(ca.token?.serial, TOKEN.serial);
    assert.deepEqual(ca.journalKeys.map((k) => k.spkiSha256), [journalKey.spkiSha256]);
    assert.deepEqual(ca.recovered, { seq: recovered.seq, nameFrom: 'intent' });
    assert.equal(state.issued.get(id)?.get(normalizeSerial(describeCertificate(root.certDer).serialHex))?.recovered, true);
    assert.equal(state.isSerialUsed(undefined, describeCertificate(root.certDer).serialHex), true);
  });

  it('ties a root recovered from an intent that names no journal key to the journal key last recorded on its token', () => {
    const j = new Entries();
    j.journalKey(journalKey);
    j.killedAfterSigning('ca.root', rootIntent(root), root.certDer);
    const ca = CaState.fromEntries(j.list).cas.get(describeCertificate(root.certDer).sha256);
    assert.ok(ca);
    assert.equal(ca.name, 'Offline Root');
    assert.deepEqual(ca.journalKeys.map((k) => k.spkiSha256), [journalKey.spkiSha256]);
  });

  it('makes a subordinate CA recovered from certificate.issue.recovered a CA under its issuer, with the name its intent gives', () => {
    const j = new Entries();
    j.journalKey(journalKey);
    const rootId = j.rootDone(root, 'Offline Root', journalKey);
    const recovered = j.killedAfterSigning('certificate.issue', subIntent(rootId, {
      newCa: { name: 'Issuing CA 1', keySpkiSha256: sub.signer.spkiSha256, keySpec: { ...sub.signer.spec } },
    }), sub.certDer);
    const state = CaState.fromEntries(j.list);
    const id = describeCertificate(sub.certDer).sha256;
    const ca = state.cas.get(id);
    assert.ok(ca, 'the subordinate is a CA');
    assert.equal(ca.name, 'Issuing CA 1');
    assert.equal(ca.kind, 'subordinate');
    assert.equal(ca.issuerId, rootId);
    assert.equal(ca.keySpkiSha256, sub.signer.spkiSha256);
    assert.deepEqual(ca.keySpec, sub.signer.spec);
    assert.deepEqual(ca.recovered, { seq: recovered.seq, nameFrom: 'intent' });
    assert.deepEqual(ca.journalKeys.map((k) => k.spkiSha256), [journalKey.spkiSha256], 'it starts with its issuer\'s journal key, as a done entry would');
    const issued = state.issued.get(rootId)?.get(normalizeSerial(describeCertificate(sub.certDer).serialHex));
    assert.equal(issued?.isCa, true);
    assert.equal(issued?.recovered, true);
  });

  it('names a subordinate recovered from an old intent (no name) after its certificate\'s CN, and says so', () => {
    const j = new Entries();
    const rootId = j.rootDone(root, 'Offline Root', journalKey);
    j.killedAfterSigning('certificate.issue', subIntent(rootId), sub.certDer);
    const ca = CaState.fromEntries(j.list).cas.get(describeCertificate(sub.certDer).sha256);
    assert.equal(ca?.name, 'Custos Test Issuing CA');
    assert.equal(ca?.recovered?.nameFrom, 'commonName');
    assert.equal(ca?.issuerId, rootId);
  });

  it('names it after its serial when another CA has its CN already', () => {
    const j = new Entries();
    const rootId = j.rootDone(root, 'Custos Test Issuing CA', journalKey);
    j.killedAfterSigning('certificate.issue', subIntent(rootId), sub.certDer);
    const ca = CaState.fromEntries(j.list).cas.get(describeCertificate(sub.certDer).sha256);
    assert.equal(ca?.name, normalizeSerial(describeCertificate(sub.certDer).serialHex));
    assert.equal(ca?.recovered?.nameFrom, 'serial');
  });

  it('makes no CA of kept bytes whose signature does not verify under the issuer', () => {
    const j = new Entries();
    const rootId = j.rootDone(otherRoot, 'Another Root', journalKey);
    j.killedAfterSigning('certificate.issue', subIntent(rootId), sub.certDer);
    const state = CaState.fromEntries(j.list);
    assert.equal(state.cas.size, 1, 'only the root that was done');
    assert.equal(state.issued.get(rootId)?.size, 1, 'and nothing recorded as issued under it but itself');
  });

  it('makes no CA of a root whose kept signature was altered', () => {
    const altered = new Uint8Array(root.certDer);
    altered[altered.length - 2]! ^= 0x01;
    const j = new Entries();
    j.killedAfterSigning('ca.root', rootIntent(root), altered);
    assert.equal(CaState.fromEntries(j.list).cas.size, 0);
  });

  it('makes no CA of a kept certificate that is not the TBS its intent recorded', () => {
    const j = new Entries();
    // The intent's serial with another root's TBS hash: the bytes kept are not what was to be signed.
    j.killedAfterSigning('ca.root', rootIntent(root, { tbsSha256: tbsSha256(otherRoot.certDer) }), root.certDer);
    assert.equal(CaState.fromEntries(j.list).cas.size, 0);
  });

  it('makes no CA of kept bytes that are no certificate, and loses nothing else of the journal', () => {
    const j = new Entries();
    const rootId = j.rootDone(root, 'Offline Root', journalKey);
    j.killedAfterSigning('certificate.issue', subIntent(rootId), new TextEncoder().encode('not a certificate'));
    const state = CaState.fromEntries(j.list);
    assert.deepEqual([...state.cas.values()].map((c) => c.name), ['Offline Root']);
    assert.equal(state.isSerialUsed(rootId, describeCertificate(sub.certDer).serialHex), true, 'its serial stays reserved');
  });

  it('makes no second CA when a done entry closed the intent', () => {
    const j = new Entries();
    j.rootDone(root, 'Offline Root', journalKey);
    // A kept result whose entry a torn open recorded again: its intent is closed, so it is not an act of its own.
    j.add('ca.root.recovered', { result: b64(root.certDer) }, { intent: 1, token: TOKEN });
    const state = CaState.fromEntries(j.list);
    assert.equal(state.cas.size, 1);
    assert.equal(state.cas.get(describeCertificate(root.certDer).sha256)?.recovered, undefined);
  });
});

describe('CaState with a CRL recorded after a kill -9', () => {
  let root: TestCa;
  let otherRoot: TestCa;
  let journalKey: SoftSigner;
  const thisUpdate = new Date(Date.UTC(2026, 0, 2));
  const nextUpdate = new Date(Date.UTC(2026, 1, 2));

  before(async () => {
    root = await makeRoot();
    otherRoot = await makeRoot();
    journalKey = softSigner({ kind: 'ec', curve: 'P-256' }, 'journal key');
  });

  /** A CRL of `number` signed by `signer` over the issuer `ca`'s name, as issueCrl signs one, and its intent's data. */
  async function crl(ca: TestCa, number: bigint, signer: SoftSigner = ca.signer): Promise<{ der: Uint8Array; intent: Record<string, unknown> }> {
    const algorithm = signAlgorithmFor(signer.spec);
    const tbs = buildCrlTbs({
      issuerCertDer: ca.certDer, entries: [{ serialHex: '1234', revocationDate: thisUpdate, reason: 'keyCompromise' }], crlNumber: number,
      thisUpdate, nextUpdate, algorithm: algorithmIdentifierFor(algorithm),
    });
    const der = await signCrl(tbs, signer, algorithm);
    return {
      der,
      intent: {
        caId: describeCertificate(ca.certDer).sha256, crlNumber: number.toString(), entries: 1, thisUpdate: thisUpdate.toISOString(), nextUpdate: nextUpdate.toISOString(),
        tbsSha256: createHash('sha256').update(tbs).digest('hex'),
      },
    };
  }

  it('puts a recovered CRL in the CA\'s list, as recovered, with its bytes and its number spent', async () => {
    const j = new Entries();
    const caId = j.rootDone(root, 'Offline Root', journalKey);
    const { der, intent } = await crl(root, 3n);
    const kept = j.killedAfterSigning('crl.issue', intent, der);
    const state = CaState.fromEntries(j.list);
    const [listed] = state.crls.get(caId) ?? [];
    assert.equal(listed?.crlNumber, '3');
    assert.equal(listed?.entries, 1);
    assert.equal(listed?.sha256, createHash('sha256').update(der).digest('hex'));
    assert.equal(listed?.recovered?.seq, kept.seq);
    assert.ok(Buffer.from(listed!.recovered!.der).equals(der), 'the bytes the token signed');
    assert.equal(parseCrl(listed!.recovered!.der).crlNumber, 3n);
    assert.equal(state.lastCrlNumber.get(caId), 3n, 'its number is never given again');
  });

  it('takes no CRL whose signature is another key\'s, whose number or TBS is not its intent\'s, or that is no CRL', async () => {
    const signedByOther = await crl(root, 3n, otherRoot.signer);
    const numberFour = await crl(root, 4n);
    const { der, intent } = await crl(root, 3n);
    const altered = new Uint8Array(der);
    altered[altered.length - 2]! ^= 0x01;
    for (const [why, kept, data] of [
      ['signed by another key', signedByOther.der, intent],
      ['a number other than the intent\'s', numberFour.der, intent],
      ['an altered signature', altered, intent],
      ['a TBS the intent did not record', der, { ...intent, tbsSha256: '00'.repeat(32) }],
      ['no CRL at all', root.certDer, intent],
    ] as const) {
      const j = new Entries();
      const caId = j.rootDone(root, 'Offline Root', journalKey);
      j.killedAfterSigning('crl.issue', data, kept);
      const state = CaState.fromEntries(j.list);
      assert.deepEqual(state.crls.get(caId) ?? [], [], why);
      assert.equal(state.lastCrlNumber.get(caId), 3n, `${why}: the intent's number stays spent`);
    }
  });

  it('lists a CRL once when a done entry closed its intent', async () => {
    const j = new Entries();
    const caId = j.rootDone(root, 'Offline Root', journalKey);
    const { der, intent } = await crl(root, 1n);
    const opened = j.add('crl.issue.intent', intent, { token: TOKEN });
    j.add('crl.issue.done', { ...intent, sha256: createHash('sha256').update(der).digest('hex'), file: '/data/crls/1.crl' }, { intent: opened.seq, token: TOKEN });
    j.add('crl.issue.recovered', { result: b64(der) }, { intent: opened.seq, token: TOKEN });
    const listed = CaState.fromEntries(j.list).crls.get(caId) ?? [];
    assert.equal(listed.length, 1);
    assert.equal(listed[0]!.recovered, undefined);
  });
});
