// ↔ renderer/db/sync.ts: after its first sync the catalog asks only for the
// certificates the journal changed (certificate.changes), never the whole
// list again; on fake-indexeddb in Node, fed by the FAKE core (the real
// core's side is test/integration/api/certificate-changes.test.ts).
import 'fake-indexeddb/auto';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { createApiClient } from '../../../../renderer/api.ts';
import { Catalog } from '../../../../renderer/db/catalog.ts';
import { rebuildCatalog, syncCatalog } from '../../../../renderer/db/sync.ts';
import { dispatch } from '../../../../electron/dispatch.ts';
import { createFakeCore, type FakeCore } from '../../../support/fake-handlers.ts';

function countingClient(fake: FakeCore, calls: string[]) {
  return createApiClient({ call: (channel, input) => { calls.push(channel); return dispatch(fake.handlers, channel, input) as never; }, on: () => () => {} });
}

describe('catalog sync of certificates', () => {
  it('lists every certificate once, then asks only for what changed since, and sees issues and revocations', async () => {
    const fake = createFakeCore({ certificates: 50 });
    const calls: string[] = [];
    const api = countingClient(fake, calls);
    const db = new Catalog(`test-${Math.random()}`, { indexedDB: new IDBFactory(), IDBKeyRange });
    await syncCatalog(db, api);
    assert.equal(calls.filter((c) => c === 'certificate.list').length, 1);
    assert.equal(await db.certificates.count(), 50);

    const tokenId = 'virtual:VS0001:Rehearsal';
    await api.call('token.login', { tokenId, pin: '123456' });
    const key = await api.call('token.generateKey', { tokenId, spec: { kind: 'ec', curve: 'P-256' }, label: 'root' });
    const rootTerms = { tokenId, keySpkiSha256: key.spkiSha256, profileId: 'root-ca', subject: 'CN=Second Root' };
    const ca = await api.call('ca.createRoot', { ...rootTerms, name: 'Second Root', tbsSha256: (await api.call('ca.previewRoot', rootTerms)).tbsSha256 });
    const [req] = await api.call('request.import', { fileName: 'a.csr', contentBase64: Buffer.from('-----BEGIN CERTIFICATE REQUEST-----\nCN=a.example\n').toString('base64') });
    const signTerms = { requestId: req!.id, caId: ca.id, profileId: 'tls-server' };
    const cert = await api.call('request.sign', { ...signTerms, tbsSha256: (await api.call('request.preview', signTerms)).tbsSha256 });
    calls.length = 0;
    await syncCatalog(db, api);
    assert.deepEqual(calls.filter((c) => c.startsWith('certificate.')), ['certificate.changes'], 'no full list once the catalog holds one');
    assert.equal(await db.certificates.count(), 51);
    assert.equal((await db.certificates.get([ca.id, cert.serialHex]))?.status, 'valid');

    await api.call('certificate.revoke', { caId: ca.id, serialHex: cert.serialHex, reason: 'superseded' });
    await syncCatalog(db, api);
    const row = await db.certificates.get([ca.id, cert.serialHex]);
    assert.equal(row?.status, 'revoked');
    assert.equal(row?.reason, 'superseded');

    calls.length = 0;
    await rebuildCatalog(db, api);
    assert.ok(calls.includes('certificate.list'), 'a rebuild starts from the whole list');
    assert.equal(await db.certificates.count(), 51);
  });
});
