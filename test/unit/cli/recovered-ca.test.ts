import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CaState, type CaRecord } from '../../../main/ca/state.ts';
import { recoveredCaMark, recoveredCaNote } from '../../../main/cli/recovered-ca.ts';

const ca = (recovered?: CaRecord['recovered']): CaRecord => ({
  id: 'ab'.repeat(32), name: 'Issuing\u001b[31m CA', certDer: new Uint8Array(), subject: 'CN=Issuing CA', kind: 'subordinate', issuerId: 'cd'.repeat(32),
  keySpkiSha256: 'ef'.repeat(32), keySpec: { kind: 'ec', curve: 'P-256' }, notBefore: '2026-01-01T00:00:00.000Z', notAfter: '2031-01-01T00:00:00.000Z',
  journalKeys: [], ...(recovered ? { recovered } : {}),
});

describe('the CLI on a CA recorded after an interrupted run', () => {
  it('names the CA the recovered entry made, where its name came from, and the checkpoint to sign next', () => {
    const state = new CaState();
    state.cas.set('ab'.repeat(32), ca({ seq: 42, nameFrom: 'commonName' }));
    const note = recoveredCaNote(state, 42);
    assert.match(note ?? '', /^note: it is the subordinate CA "Issuing.* CA" \(named after its certificate's CN: the run that signed it recorded no name\)/);
    assert.match(note ?? '', /custos journal checkpoint --token LABEL\); until then nothing is signed\.$/);
    assert.doesNotMatch(note ?? '', /\u001b/, 'a name from a certificate is shown, never sent to the terminal as it is');
    assert.equal(recoveredCaNote(state, 41), undefined, 'another recovered entry made no CA');
  });

  it('marks only a recovered CA in the list', () => {
    assert.equal(recoveredCaMark(ca({ seq: 42, nameFrom: 'intent' })), '  (recorded after an interrupted run, journal entry #42)');
    assert.equal(recoveredCaMark(ca()), '');
  });
});
