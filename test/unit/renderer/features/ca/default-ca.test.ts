// ↔ renderer/features/ca/default-ca.ts: the CA a signing form offers first can sign now.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defaultSigningCa } from '../../../../../renderer/features/ca/default-ca.ts';

const cas = [{ id: 'root' }, { id: 'issuing' }, { id: 'other' }];

describe('the default signing CA', () => {
  it('is never a CA whose key is on no open token while another CA can sign', () => {
    const live = [{ id: 'root', keyOnOpenToken: false }, { id: 'issuing', keyOnOpenToken: true }, { id: 'other', keyOnOpenToken: true }];
    assert.equal(defaultSigningCa(cas, live), 'issuing');
  });

  it('is not chosen before the core has said where the keys are', () => {
    assert.equal(defaultSigningCa(cas, undefined), undefined);
  });

  it('falls back to the first CA when none can sign now, or ca.list failed, so the preview can say why', () => {
    assert.equal(defaultSigningCa(cas, [{ id: 'root', keyOnOpenToken: false }, { id: 'issuing', keyOnOpenToken: false }]), 'root');
    assert.equal(defaultSigningCa(cas, undefined, true), 'root');
  });

  it('ignores what ca.list says of a CA the form does not list', () => {
    assert.equal(defaultSigningCa([{ id: 'root' }], [{ id: 'gone', keyOnOpenToken: true }, { id: 'root', keyOnOpenToken: false }]), 'root');
    assert.equal(defaultSigningCa([], [{ id: 'root', keyOnOpenToken: true }]), undefined);
  });
});
