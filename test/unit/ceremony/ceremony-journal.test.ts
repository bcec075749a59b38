/**
 * Resuming from the journal alone (main/ceremony/ceremony-journal.ts), over a
 * real journal file written, closed as a crash would leave it, and opened
 * again: which ceremony was interrupted, at which step it goes on, and
 * whether a step's act already signed (then it must not run again).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../../../main/journal/index.ts';
import { ceremoniesIn, interruptedCeremony, nextStepIndex, signedResultSince } from '../../../main/ceremony/ceremony-journal.ts';
import { Script, SCRIPT_FORMAT, type Step } from '../../../main/ceremony/script-schema.ts';

const work = mkdtempSync(join(tmpdir(), 'custos-ceremony-journal-'));
after(() => rmSync(work, { recursive: true, force: true }));

const root: Step = {
  id: 'create-root', performer: 'administrator', instructions: 'Make the root.', checks: ['Read the SHA-256 aloud.'], quorum: true, witnesses: 1,
  action: { act: 'root.create', params: { ca: 'example-root', profile: 'root-ca', subject: 'CN=Example Root CA', key: 'ec:P-384' } },
};
const crl: Step = { ...root, id: 'issue-crl', action: { act: 'crl.issue', params: { ca: 'example-root' } } };
const check: Step = { ...root, id: 'check', quorum: false, action: { act: 'check', params: { check: 'journal.verify' } } };
const script = Script.parse({ format: SCRIPT_FORMAT, id: 'root', title: 'Root', version: 1, roles: [{ role: 'administrator', people: 1 }, { role: 'witness', people: 1 }], steps: [check, root, crl] });

const head = { seq: 0, hash: '0'.repeat(64) };
const begin = (id: string) => ({ ceremony: id, scriptId: 'root', scriptTitle: 'Root', scriptVersion: 1, scriptSha256: 'a'.repeat(64), rehearsal: true, headBefore: head });
const stepData = (id: string, step: string, index: number) => ({
  ceremony: id, step, index, performer: { name: 'Ada', role: 'administrator', time: '2026-12-07T10:00:00.000Z' }, witnesses: [], artifacts: [], actSeqs: [],
});

/** A journal written by one "run", and read back as the next run reads it after a kill. */
function reopened(dir: string, write: (j: Journal) => void): ReturnType<Journal['read']> {
  const first = Journal.open({ dir, operator: 'ceremony-test' });
  write(first);
  first.close();
  const again = Journal.open({ dir, operator: 'ceremony-test' });
  try { return again.read(); } finally { again.close(); }
}

describe('a ceremony in the journal', () => {
  it('is interrupted when begun and never ended, and goes on at the first step with no step entry', () => {
    const entries = reopened(join(work, 'interrupted'), (j) => {
      j.append('ceremony.begin', begin('c1'));
      j.append('ceremony.step', stepData('c1', 'check', 0));
    });
    const c = interruptedCeremony(entries)!;
    assert.equal(c.id, 'c1');
    assert.equal(nextStepIndex(c, script.steps.length), 1);
    assert.equal(c.lastSeq, 2);
  });

  it('is not interrupted once ended, completed or abandoned; the next one begun is', () => {
    const entries = reopened(join(work, 'ended'), (j) => {
      j.append('ceremony.begin', begin('c1'));
      j.append('ceremony.end', { ceremony: 'c1', outcome: 'abandoned', reason: 'the HSM failed its self-test', headAfter: head });
      j.append('ceremony.begin', begin('c2'));
    });
    assert.deepEqual(ceremoniesIn(entries).map((c) => [c.id, c.end?.outcome ?? 'open']), [['c1', 'abandoned'], ['c2', 'open']]);
    assert.equal(interruptedCeremony(entries)?.id, 'c2');
  });

  it('ignores a step entry of another ceremony and one written after its end', () => {
    const entries = reopened(join(work, 'foreign'), (j) => {
      j.append('ceremony.begin', begin('c1'));
      j.append('ceremony.step', stepData('c0', 'check', 0));
      j.append('ceremony.end', { ceremony: 'c1', outcome: 'abandoned', reason: 'stop', headAfter: head });
      j.append('ceremony.step', stepData('c1', 'check', 0));
    });
    const [c] = ceremoniesIn(entries);
    assert.equal(c!.steps.length, 0);
  });
});

describe('the act of the step to resume', () => {
  const none = (): undefined => undefined;

  it('has signed when its result is in the journal after the last step: recorded from the journal with every entry it wrote', () => {
    const entries = reopened(join(work, 'signed'), (j) => {
      j.append('ceremony.begin', begin('c1'));
      j.append('ceremony.step', stepData('c1', 'check', 0));
      const key = j.begin('key.generate', { label: 'example-root' });
      j.complete(key, { spkiSha256: 'b'.repeat(64), label: 'example-root' });
      const intent = j.begin('ca.root', { name: 'example-root' });
      j.complete(intent, { sha256: 'c'.repeat(64), subject: 'CN=Example Root CA', newCa: { name: 'example-root', keySpkiSha256: 'b'.repeat(64) } });
      // The kill: no ceremony.step for create-root.
    });
    const c = interruptedCeremony(entries)!;
    const found = signedResultSince(entries, c.lastSeq, script.steps[nextStepIndex(c, 3)]!, none)!;
    assert.deepEqual(found.actSeqs, [3, 4, 5, 6]);
    assert.equal(found.resultSeq, 6);
    assert.deepEqual(found.artifacts.map((a) => [a.kind, a.sha256]), [['key', 'b'.repeat(64)], ['certificate', 'c'.repeat(64)]]);
  });

  it('has not signed when only its intent is there (killed at the token, or before): the act may run', () => {
    const entries = reopened(join(work, 'intent-only'), (j) => {
      j.append('ceremony.begin', begin('c1'));
      j.begin('ca.root', { name: 'example-root' });
    });
    assert.equal(signedResultSince(entries, 1, root, none), undefined);
  });

  it('is not mistaken for a root of another name, or a CRL of another CA, or a result before the ceremony\'s last entry', () => {
    const entries = reopened(join(work, 'others'), (j) => {
      const early = j.begin('crl.issue', { caId: 'root-id' });
      j.complete(early, { caId: 'root-id', crlNumber: '1', sha256: 'd'.repeat(64) });
      j.append('ceremony.begin', begin('c1'));
      const other = j.begin('ca.root', { name: 'other-root' });
      j.complete(other, { sha256: 'e'.repeat(64), newCa: { name: 'other-root' } });
      const otherCrl = j.begin('crl.issue', { caId: 'other-id' });
      j.complete(otherCrl, { caId: 'other-id', crlNumber: '1', sha256: 'f'.repeat(64) });
    });
    assert.equal(signedResultSince(entries, 3, root, none), undefined);
    assert.equal(signedResultSince(entries, 3, crl, (name) => (name === 'example-root' ? 'root-id' : undefined)), undefined);
    assert.equal(signedResultSince(entries, 0, crl, () => 'root-id')?.resultSeq, 2, 'found when it lies after the seq given');
  });

  it('takes a CRL the token signed just before a kill, recorded at the next open, once the CA state accepted it: it is not signed again', () => {
    const entries = reopened(join(work, 'crl-recovered'), (j) => {
      j.append('ceremony.begin', begin('c1'));
      const intent = j.begin('crl.issue', { caId: 'root-id', crlNumber: '4' });
      j.append('crl.issue.recovered', { result: 'MAA=', sha256: 'c'.repeat(64) }, { intent: intent.seq });
    });
    const kept = entries.find((e) => e.kind === 'crl.issue.recovered')!;
    const caIdOf = (name: string): string | undefined => (name === 'example-root' ? 'root-id' : undefined);
    const nothingAccepted = { caRecoveredAt: none, certificateRecovered: none, crlRecoveredAt: none };
    const accepted = { ...nothingAccepted, crlRecoveredAt: (caId: string, seq: number) => (caId === 'root-id' && seq === kept.seq ? { crlNumber: '4', sha256: 'c'.repeat(64) } : undefined) };
    const found = signedResultSince(entries, 1, crl, caIdOf, accepted);
    assert.equal(found?.resultSeq, kept.seq);
    assert.deepEqual(found?.artifacts, [{ kind: 'crl', name: 'example-root CRL #4', sha256: 'c'.repeat(64) }]);
    assert.equal(signedResultSince(entries, 1, crl, caIdOf, nothingAccepted), undefined, 'bytes the CA state did not accept are no result: the step runs');
  });

  it('is never looked up for a step that signs nothing: a check or a quorum is simply done again', () => {
    assert.equal(signedResultSince([], 0, check, none), undefined);
  });
});
