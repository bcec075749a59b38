// ↔ renderer/db/catalog.ts, sync.ts and search.ts, on fake-indexeddb in Node,
// fed by the fake core through the same dispatch the IPC uses.
import 'fake-indexeddb/auto';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { Dexie } from 'dexie';
import { createApiClient } from '../../../../renderer/api.ts';
import { Catalog, subjectWords } from '../../../../renderer/db/catalog.ts';
import { searchCertificates } from '../../../../renderer/db/search.ts';
import { JOURNAL_PAGE_ENTRIES, rebuildCatalog, syncCatalog } from '../../../../renderer/db/sync.ts';
import { dispatch } from '../../../../electron/dispatch.ts';
import { createFakeCore, type FakeCore } from '../../../support/fake-handlers.ts';

function clientOf(fake: FakeCore) {
  return createApiClient({ call: (channel, input) => dispatch(fake.handlers, channel, input) as never, on: () => () => {} });
}
function freshCatalog(): Catalog {
  return new Catalog(`test-${Math.random()}`, { indexedDB: new IDBFactory(), IDBKeyRange });
}
async function snapshot(db: Catalog) {
  return {
    cas: await db.cas.toArray(), requests: await db.requests.toArray(), certificates: await db.certificates.toArray(),
    crls: await db.crls.toArray(), events: await db.events.toArray(), meta: await db.meta.toArray(),
  };
}

async function coreWithHistory(): Promise<FakeCore> {
  const fake = createFakeCore({ certificates: 30 });
  const api = clientOf(fake);
  const tokenId = 'virtual:VS0001:Rehearsal';
  await api.call('token.login', { tokenId, pin: '123456' });
  const key = await api.call('token.generateKey', { tokenId, spec: { kind: 'ec', curve: 'P-256' }, label: 'root' });
  const rootTerms = { tokenId, keySpkiSha256: key.spkiSha256, profileId: 'root-ca', subject: 'CN=Test Root' };
  const ca = await api.call('ca.createRoot', { ...rootTerms, name: 'Test Root', tbsSha256: (await api.call('ca.previewRoot', rootTerms)).tbsSha256 });
  const [req] = await api.call('request.import', { fileName: 'a.csr', contentBase64: Buffer.from('-----BEGIN CERTIFICATE REQUEST-----\nCN=a.example\n').toString('base64') });
  const signTerms = { requestId: req!.id, caId: ca.id, profileId: 'tls-server' };
  const cert = await api.call('request.sign', { ...signTerms, tbsSha256: (await api.call('request.preview', signTerms)).tbsSha256 });
  await api.call('certificate.revoke', { caId: ca.id, serialHex: cert.serialHex, reason: 'keyCompromise' });
  await api.call('crl.issue', { caId: ca.id, tbsSha256: (await api.call('crl.preview', { caId: ca.id })).tbsSha256 });
  return fake;
}

describe('catalog projection', () => {
  it('projects CAs, requests, certificates, CRLs and every journal entry', async () => {
    const fake = await coreWithHistory();
    const db = freshCatalog();
    await syncCatalog(db, clientOf(fake));
    const s = await snapshot(db);
    const journal = await clientOf(fake).call('journal.entries', {});
    assert.equal(s.cas.length, 2);
    assert.equal(s.requests.length, 1);
    assert.equal(s.certificates.length, 31);
    assert.equal(s.crls.length, 1);
    assert.deepEqual(s.events.map((e) => e.seq), journal.map((e) => e.seq));
    const revoked = s.certificates.filter((c) => c.status === 'revoked');
    assert.equal(revoked.length, 1);
    assert.equal(revoked[0]!.reason, 'keyCompromise');
  });

  it('rebuilds from the journal to exactly the catalog it had', async () => {
    const fake = await coreWithHistory();
    const db = freshCatalog();
    await syncCatalog(db, clientOf(fake));
    const before = await snapshot(db);
    await db.certificates.clear();
    await db.events.bulkDelete([1, 2]);
    await rebuildCatalog(db, clientOf(fake));
    assert.deepEqual(await snapshot(db), before);
  });

  it('has the CAs, requests, certificates and CRLs in before the journal\'s entries, so the CA screens need not wait for a long journal', async () => {
    const fake = await coreWithHistory();
    let letEntriesGo!: () => void;
    const entriesHeld = new Promise<void>((resolve) => { letEntriesGo = resolve; });
    const api = createApiClient({
      call: async (channel, input) => {
        if (channel === 'journal.entries') await entriesHeld;
        return dispatch(fake.handlers, channel, input) as never;
      },
      on: () => () => {},
    });
    const db = freshCatalog();
    const syncing = syncCatalog(db, api);
    for (let waited = 0; await db.crls.count() === 0; waited += 5) {
      assert.ok(waited < 10_000, 'the lists were not written while the journal\'s entries were held');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.deepEqual([await db.cas.count(), await db.requests.count(), await db.certificates.count(), await db.crls.count(), await db.events.count()], [2, 1, 31, 1, 0]);
    letEntriesGo();
    await syncing;
    assert.equal(await db.events.count(), (await api.call('journal.entries', {})).length);
  });

  it('opens a catalog written before the journal\'s unused indexes were dropped, its rows kept', async () => {
    const indexedDB = new IDBFactory();
    const name = `test-${Math.random()}`;
    const older = new Dexie(name, { indexedDB, IDBKeyRange });
    older.version(1).stores({
      cas: '&id, name', requests: '&id, status, importedAt', certificates: '&[caId+serialHex], serialHex, sha256, *subjectWords, issuedAt',
      crls: '&[caId+crlNumber], caId, thisUpdate', events: '&seq, kind, time', meta: '&key',
    });
    const fake = await coreWithHistory();
    const entries = await clientOf(fake).call('journal.entries', {});
    await older.table('events').bulkPut(entries);
    await older.table('meta').put({ key: 'lastSeq', value: entries.at(-1)!.seq });
    older.close();

    const db = new Catalog(name, { indexedDB, IDBKeyRange });
    assert.deepEqual((await db.events.orderBy('seq').toArray()).map((e) => e.seq), entries.map((e) => e.seq));
    assert.equal((await syncCatalog(db, clientOf(fake))).newEntries, 0, 'nothing read again');
    assert.deepEqual(db.events.schema.indexes.map((i) => i.name), []);
  });

  it('syncs only the new journal entries, page by page', async () => {
    const fake = createFakeCore();
    const api = clientOf(fake);
    const db = freshCatalog();
    await syncCatalog(db, api);
    assert.equal(await db.events.count(), 0);
    for (let i = 0; i < JOURNAL_PAGE_ENTRIES + 5; i++) await api.call('request.import', { fileName: `${i}.csr`, contentBase64: Buffer.from(`CERTIFICATE REQUEST CN=h${i}.example`).toString('base64') });
    const first = await syncCatalog(db, api);
    assert.equal(first.newEntries, JOURNAL_PAGE_ENTRIES + 5);
    assert.equal((await syncCatalog(db, api)).newEntries, 0);
    assert.equal(await db.events.count(), JOURNAL_PAGE_ENTRIES + 5);
  });

  it('writes only the rows that changed when it syncs again', async () => {
    const fake = await coreWithHistory();
    const api = clientOf(fake);
    const db = freshCatalog();
    await syncCatalog(db, api);
    const written: number[] = [];
    const bulkPut = db.certificates.bulkPut.bind(db.certificates);
    db.certificates.bulkPut = ((rows: never[], ...rest: never[]) => { written.push(rows.length); return bulkPut(rows, ...rest); }) as typeof bulkPut;
    await syncCatalog(db, api);
    assert.deepEqual(written, [], 'nothing changed, nothing written');
    const valid = (await db.certificates.toArray()).find((c) => c.status === 'valid' && !c.isCa)!;
    await api.call('certificate.revoke', { caId: valid.caId, serialHex: valid.serialHex, reason: 'superseded' });
    await syncCatalog(db, api);
    assert.deepEqual(written, [1]);
    assert.equal((await db.certificates.get([valid.caId, valid.serialHex]))!.status, 'revoked');
  });

  it('drops a row the core no longer reports', async () => {
    const fake = await coreWithHistory();
    const db = freshCatalog();
    await syncCatalog(db, clientOf(fake));
    await db.cas.put({ ...(await db.cas.toCollection().first())!, id: 'ff'.repeat(32), name: 'ghost' });
    await syncCatalog(db, clientOf(fake));
    assert.equal(await db.cas.where('name').equals('ghost').count(), 0);
  });
});

describe('certificate search', () => {
  it('splits a subject into the words a person types', () => {
    assert.deepEqual(subjectWords('CN=web-1.Example.org, O=ACME Corp'), ['web', '1', 'example', 'org', 'acme', 'corp']);
  });

  it('finds by serial prefix, fingerprint prefix with colons, and subject words', async () => {
    const fake = createFakeCore({ certificates: 200 });
    const db = freshCatalog();
    await syncCatalog(db, clientOf(fake));
    const all = await db.certificates.toArray();
    const target = all.find((c) => c.subject.startsWith('CN=host-123.'))!;

    const bySerial = await searchCertificates(db, target.serialHex.slice(0, 10).toUpperCase());
    assert.ok(bySerial.rows.some((r) => r.serialHex === target.serialHex));

    const colons = target.sha256.slice(0, 12).match(/../g)!.join(':');
    const byFingerprint = await searchCertificates(db, colons);
    assert.deepEqual(byFingerprint.rows.map((r) => r.sha256), [target.sha256]);

    const bySubject = await searchCertificates(db, 'host 123');
    assert.deepEqual(bySubject.rows.map((r) => r.subject), ['CN=host-123.example.org, O=Example']);

    const fromRarest = await searchCertificates(db, 'example org host 57');
    assert.deepEqual(fromRarest.rows.map((r) => r.subject).sort(), ['CN=host-57.example.org, O=Example']);

    const none = await searchCertificates(db, 'nosuchword');
    assert.equal(none.rows.length, 0);
  });

  it('cuts a broad search at the limit and says so', async () => {
    const fake = createFakeCore({ certificates: 60 });
    const db = freshCatalog();
    await syncCatalog(db, clientOf(fake));
    const r = await searchCertificates(db, 'example', 50);
    assert.equal(r.rows.length, 50);
    assert.equal(r.truncated, true);
    const everything = await searchCertificates(db, '', 100);
    assert.equal(everything.rows.length, 60);
    assert.equal(everything.truncated, false);
  });
});
