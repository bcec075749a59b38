// ↔ main/api/custodian-handlers.ts: an export goes to the exports folder, a removable medium, or a folder the person picked in the shell's dialog; never to a folder the page names on its own.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHandlers } from '../../../main/api/handlers.ts';
import type { Handlers } from '../../../main/api/contract.ts';
import { Custos } from '../../../main/custos.ts';
import { ReadGrants } from '../../../main/exchange/read-grants.ts';
import { dispatch } from '../../../electron/dispatch.ts';

let work: string;
let custos: Custos;
let chosen: string;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'custos-export-folders-'));
  custos = Custos.open({ dataDir: join(work, 'home'), providers: [], operator: 'tester' });
  chosen = join(work, 'desk', 'chosen');
  mkdirSync(chosen, { recursive: true });
  mkdirSync(join(work, 'desk', 'beside'));
});
after(async () => { await custos.close(); rmSync(work, { recursive: true, force: true }); });

/** As the window calls: through the one door, so what crosses back is what the page would see. */
async function call(handlers: Handlers, channel: string, input: unknown): Promise<{ ok: true; value: any } | { ok: false; error: { code: string; message: string } }> {
  return await dispatch(handlers, channel, input) as { ok: true; value: any } | { ok: false; error: { code: string; message: string } };
}
async function codeOf(handlers: Handlers, channel: string, input: unknown): Promise<string> {
  const r = await call(handlers, channel, input);
  assert.equal(r.ok, false, `${channel} ${JSON.stringify(input)} was answered`);
  return (r as { ok: false; error: { code: string } }).error.code;
}
const noMedia = () => new ReadGrants(async () => []);

describe('export destinations the window may use', () => {
  it('offer the Custos exports folder first', async () => {
    const handlers = createHandlers(custos, { readGrants: noMedia() });
    const r = await call(handlers, 'export.destinations', undefined);
    assert.ok(r.ok);
    assert.equal(r.value[0].kind, 'exports');
    assert.equal(r.value[0].path, join(work, 'home', 'exports'));
  });

  it('refuse to pick a folder where the shell has no dialog', async () => {
    const handlers = createHandlers(custos, { readGrants: noMedia() });
    assert.equal(await codeOf(handlers, 'export.pickFolder', undefined), 'PATH_NOT_PERMITTED');
  });

  it('write the journal into a folder picked in the dialog, and only that folder', async () => {
    const handlers = createHandlers(custos, { readGrants: noMedia(), pickFolder: async () => chosen });
    assert.equal(await codeOf(handlers, 'journal.export', { format: 'jsonl', directory: chosen }), 'PATH_NOT_PERMITTED', 'not before it is picked');
    const picked = await call(handlers, 'export.pickFolder', undefined);
    assert.ok(picked.ok);
    assert.deepEqual([picked.value.kind, picked.value.path], ['folder', chosen]);

    const written = await call(handlers, 'journal.export', { format: 'html', directory: chosen });
    assert.ok(written.ok, JSON.stringify(written));
    assert.equal(written.value.path, join(chosen, written.value.fileName));
    assert.match(readFileSync(written.value.path, 'utf8'), /<html/i);

    for (const other of [join(work, 'desk', 'beside'), join(work, 'desk'), join(chosen, 'sub'), `${chosen}/../beside`]) {
      assert.equal(await codeOf(handlers, 'journal.export', { format: 'jsonl', directory: other }), 'PATH_NOT_PERMITTED', other);
    }
    assert.deepEqual(readdirSync(join(work, 'desk', 'beside')), [], 'nothing written beside it');
  });

  it('grant nothing when the dialog is cancelled', async () => {
    const handlers = createHandlers(custos, { readGrants: noMedia(), pickFolder: async () => undefined });
    const picked = await call(handlers, 'export.pickFolder', undefined);
    assert.ok(picked.ok);
    assert.equal(picked.value, undefined);
    assert.equal(await codeOf(handlers, 'journal.export', { format: 'jsonl', directory: chosen }), 'PATH_NOT_PERMITTED');
  });

  it('refuse a request from a token key into a folder the page names, before any token is touched', async () => {
    const handlers = createHandlers(custos, { readGrants: noMedia() });
    const before = custos.journal.read().length;
    assert.equal(await codeOf(handlers, 'key.csr', { tokenId: 'no-such-token', keySpkiSha256: 'ab'.repeat(32), subject: 'CN=Issuing', directory: '/etc/cron.d' }), 'PATH_NOT_PERMITTED');
    assert.equal(custos.journal.read().length, before, 'nothing recorded');
    assert.equal(existsSync('/etc/cron.d/CN'), false);
  });
});
