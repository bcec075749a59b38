// ↔ main/api/handlers.ts: the window's calls that name a path on disk reach only what the person picked or what lies on removable media.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHandlers } from '../../../main/api/handlers.ts';
import type { Handlers } from '../../../main/api/contract.ts';
import { Custos } from '../../../main/custos.ts';
import { requestForKey } from '../../../main/ca/key-request.ts';
import { parseSubject } from '../../../main/ca/subject.ts';
import { ReadGrants } from '../../../main/exchange/read-grants.ts';
import { dispatch } from '../../../electron/dispatch.ts';

let work: string;
let custos: Custos;
let picked: string;

async function applicantRequest(cn: string): Promise<Uint8Array> {
  const k = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return requestForKey({ spki: new Uint8Array(k.publicKey.export({ type: 'spki', format: 'der' })), sign: async (d) => new Uint8Array(nodeSign('sha256', d, { key: k.privateKey, dsaEncoding: 'der' })) },
    parseSubject(`CN=${cn}`), { scheme: 'ecdsa', hash: 'SHA-256' });
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'custos-handlers-files-'));
  custos = Custos.open({ dataDir: join(work, 'home'), providers: [], operator: 'tester' });
  mkdirSync(join(work, 'desk'));
  picked = join(work, 'desk', 'picked.csr');
  writeFileSync(picked, await applicantRequest('picked.custos.test'));
  writeFileSync(join(work, 'desk', 'beside.csr'), await applicantRequest('beside.custos.test'));
});
after(async () => { await custos.close(); rmSync(work, { recursive: true, force: true }); });

/** As the window calls: through the one door, so what crosses back is what the page would see. */
async function errorOf(handlers: Handlers, channel: string, input: unknown): Promise<{ code: string; message: string; details: Record<string, unknown> }> {
  const result = await dispatch(handlers, channel, input);
  assert.equal(result.ok, false, `${channel} ${JSON.stringify(input)} was answered`);
  return (result as { ok: false; error: { code: string; message: string; details: Record<string, unknown> } }).error;
}

describe('paths the window names', () => {
  it('refuse /etc/shadow and a path that does not exist alike, before reading either', async () => {
    const handlers = createHandlers(custos);
    const entries = custos.journal.read().length;
    const shadow = await errorOf(handlers, 'request.importFromPath', { path: '/etc/shadow' });
    const missing = await errorOf(handlers, 'request.importFromPath', { path: '/etc/no-such-shadow' });
    assert.equal(shadow.code, 'PATH_NOT_PERMITTED');
    assert.equal(missing.code, 'PATH_NOT_PERMITTED');
    assert.equal(shadow.message.replace('/etc/shadow', 'P'), missing.message.replace('/etc/no-such-shadow', 'P'));
    assert.deepEqual(Object.keys(shadow.details), ['path']);
    assert.equal(custos.journal.read().length, entries, 'nothing was imported or recorded');
    assert.equal((await errorOf(handlers, 'media.files', { path: '/etc' })).code, 'PATH_NOT_PERMITTED');
    assert.equal((await errorOf(handlers, 'media.files', { path: '/no-such-folder' })).code, 'PATH_NOT_PERMITTED');
  });

  it('import a file the shell\'s dialog returned, and only that one', async () => {
    const handlers = createHandlers(custos, { readGrants: new ReadGrants(async () => []), pickFiles: async () => [picked] });
    assert.equal((await errorOf(handlers, 'request.importFromPath', { path: picked })).code, 'PATH_NOT_PERMITTED', 'not before it is picked');
    const files = await handlers['request.pickFiles']();
    assert.deepEqual(files.map((f) => f.name), ['picked.csr']);
    const [imported] = await handlers['request.importFromPath']({ path: picked });
    assert.equal(imported?.subject, 'CN=picked.custos.test');
    assert.equal((await errorOf(handlers, 'request.importFromPath', { path: join(work, 'desk', 'beside.csr') })).code, 'PATH_NOT_PERMITTED');
  });

  it('list and import the requests on a removable medium', async () => {
    // A folder stands in for a mounted stick: no medium can be plugged in here.
    const stick = join(work, 'stick');
    mkdirSync(stick);
    writeFileSync(join(stick, 'web.csr'), await applicantRequest('web.custos.test'));
    const handlers = createHandlers(custos, { readGrants: new ReadGrants(async () => [stick]) });
    const files = await handlers['media.files']({ path: stick });
    assert.deepEqual(files.map((f) => f.name), ['web.csr']);
    const [imported] = await handlers['request.importFromPath']({ path: files[0]!.path });
    assert.equal(imported?.subject, 'CN=web.custos.test');
    assert.equal((await errorOf(handlers, 'media.files', { path: join(stick, 'web.csr') })).code, 'INPUT_INVALID', 'a file is not a folder to list');
  });

  it('refuse an export into a folder that is not on a removable medium, before anything else is looked at', async () => {
    const handlers = createHandlers(custos, { readGrants: new ReadGrants(async () => []) });
    for (const directory of ['/etc/cron.d', join(work, 'desk'), '/no-such-folder']) {
      assert.equal((await errorOf(handlers, 'certificate.export', { caId: 'ab', serialHex: '01', format: 'pem', directory })).code, 'PATH_NOT_PERMITTED', directory);
      assert.equal((await errorOf(handlers, 'crl.export', { caId: 'ab', crlNumber: '1', format: 'der', directory })).code, 'PATH_NOT_PERMITTED', directory);
    }
    assert.equal((await errorOf(handlers, 'certificate.export', { caId: 'ab', serialHex: '01', format: 'pem' })).code, 'CA_NOT_FOUND', 'without a folder the act goes on to its own checks');
  });

  it('refuse request.pickFiles where the shell has no dialog', async () => {
    assert.equal((await errorOf(createHandlers(custos), 'request.pickFiles', undefined)).code, 'PATH_NOT_PERMITTED');
  });
});
