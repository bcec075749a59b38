/**
 * The key-domain channels at the window's door (dispatch, as the IPC and the
 * dev host call them), on the real core with virtual SmartCard-HSMs: a
 * password never comes back in a result or an error, the window reads share
 * and backup files only in the data directory's own folders or on a medium,
 * and the share file's key derivation is reported as progress.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Custos, type ProgressReport } from '../../../main/custos.ts';
import { VirtualScHsmProvider } from '../../../main/hsm/sc-hsm/provider.ts';
import { createHandlers } from '../../../main/api/handlers.ts';
import { ReadGrants } from '../../../main/exchange/read-grants.ts';
import { SHARE_FILE_ITERATIONS_ENV } from '../../../main/ca/key-domain.ts';
import type { Handlers } from '../../../main/api/contract.ts';
import { dispatch } from '../../../electron/dispatch.ts';
import { createInitializedCard } from '../../support/card-process.ts';

const PIN = '648219';

describe('key-domain channels', () => {
  let work: string;
  let custos: Custos;
  let handlers: Handlers;
  let tokenId: string;

  before(async () => {
    process.env[SHARE_FILE_ITERATIONS_ENV] = '1000';
    work = mkdtempSync(join(tmpdir(), 'custos-kd-api-'));
    const state = join(work, 'card.vsc');
    await createInitializedCard(state, PIN, undefined, { dkekShares: 2 });
    custos = Custos.open({ dataDir: join(work, 'home'), operator: 'api', providers: [new VirtualScHsmProvider([state])], pcsc: false });
    // No removable media here: the window may read only what the core keeps in its own folders.
    handlers = createHandlers(custos, { readGrants: new ReadGrants(async () => []) });
    tokenId = (await custos.tokens.list())[0]!.id;
  });

  after(async () => {
    delete process.env[SHARE_FILE_ITERATIONS_ENV];
    await custos?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('never returns a share password, in a refusal or a result, nor journals it', async () => {
    const refused = await dispatch(handlers, 'keydomain.createShare', { custodian: 'Anna', password: 'first-secret-1', passwordRepeat: 'second-secret-2' });
    assert.equal(refused.ok, false);
    assert.equal(!refused.ok && refused.error.code, 'PASSWORD_MISMATCH');
    const made = await dispatch(handlers, 'keydomain.createShare', { custodian: 'Anna', password: 'first-secret-1', passwordRepeat: 'first-secret-1' });
    assert.equal(made.ok, true);
    const wrong = await dispatch(handlers, 'keydomain.importShare', { tokenId, path: made.ok ? (made.value as { path: string }).path : '', password: 'not-the-secret' });
    assert.equal(!wrong.ok && wrong.error.code, 'DKEK_SHARE_PASSWORD_WRONG');
    const everything = JSON.stringify([refused, made, wrong]) + readFileSync(join(work, 'home', 'journal.jsonl'), 'utf8');
    for (const secret of ['first-secret-1', 'second-secret-2', 'not-the-secret']) assert.ok(!everything.includes(secret), secret);
  });

  it('reads a share file only from the data directory\'s share folder or a medium', async () => {
    const elsewhere = join(work, 'elsewhere.pbe');
    const [inFolder] = (await handlers['keydomain.files']()).filter((f) => f.kind === 'share');
    writeFileSync(elsewhere, readFileSync(inFolder!.path));
    for (const path of [elsewhere, join(work, 'home', 'dkek-shares', '..', 'journal.jsonl')]) {
      const r = await dispatch(handlers, 'keydomain.importShare', { tokenId, path, password: 'first-secret-1' });
      assert.equal(!r.ok && r.error.code, 'PATH_NOT_PERMITTED', path);
    }
    const restore = await dispatch(handlers, 'keydomain.restoreKey', { tokenId, path: join(work, 'home', 'key-backups', '..', '..', 'x.wky') });
    assert.equal(!restore.ok && restore.error.code, 'PATH_NOT_PERMITTED');
    assert.equal((await handlers['keydomain.status']({ tokenId })).importedShares, 0);
  });

  it('reports the share file\'s key derivation as progress, then the k of n of the card', async () => {
    const reports: ProgressReport[] = [];
    const stop = custos.onProgress((r) => reports.push(r));
    try {
      const [share] = (await handlers['keydomain.files']()).filter((f) => f.kind === 'share');
      const done = await handlers['keydomain.importShare']({ tokenId, path: share!.path, password: 'first-secret-1' });
      assert.deepEqual([done.importedShares, done.totalShares, done.complete], [1, 2, false]);
      assert.ok(reports.some((r) => r.operation === 'keydomain.importShare' && /share file key/.test(r.label)), JSON.stringify(reports));
    } finally {
      stop();
    }
  });

  it('refuses to generate a key through the window while the card\'s domain waits for shares, and says why', async () => {
    const r = await dispatch(handlers, 'token.generateKey', { tokenId, spec: { kind: 'ec', curve: 'P-256' }, label: 'too early' });
    assert.equal(!r.ok && r.error.code, 'KEYGEN_DOMAIN_INCOMPLETE');
    assert.match(!r.ok ? r.error.message : '', /1 of 2 DKEK shares/);
    assert.equal((await custos.tokens.open(tokenId)).info.loggedIn, false);
  });

  it('makes a share whose password is split 2-of-3, hands the shares back once and journals none, refuses one share or a wrong one, and imports it from two of them', async () => {
    const both = await dispatch(handlers, 'keydomain.createShare', { custodian: 'Board', password: 'board-secret-1', passwordRepeat: 'board-secret-1', passwordShares: { threshold: 2, total: 3 } });
    assert.equal(!both.ok && both.error.code, 'INPUT_INVALID');
    const made = await handlers['keydomain.createShare']({ custodian: 'Board', passwordShares: { threshold: 2, total: 3 } });
    const sharing = made.passwordShares!;
    assert.deepEqual([sharing.threshold, sharing.shares.map((x) => x.id)], [2, [1, 2, 3]]);
    assert.match(sharing.prime, /^[0-9A-F]{2}(:[0-9A-F]{2})+$/);
    const journal = readFileSync(join(work, 'home', 'journal.jsonl'), 'utf8');
    for (const value of [sharing.prime, ...sharing.shares.map((x) => x.value)]) assert.ok(!journal.includes(value), 'no password share in the journal');
    const neither = await dispatch(handlers, 'keydomain.importShare', { tokenId, path: made.path });
    assert.equal(!neither.ok && neither.error.code, 'INPUT_INVALID');
    const one = await dispatch(handlers, 'keydomain.importShare', { tokenId, path: made.path, passwordShares: { prime: sharing.prime, shares: [sharing.shares[0]!] } });
    assert.equal(!one.ok && one.error.code, 'INPUT_INVALID', 'a single password share is refused at the door: no split opens with one');
    // Two shares that are not of this split rebuild another password: the file does not open, and nothing is imported.
    const mixed = await dispatch(handlers, 'keydomain.importShare', { tokenId, path: made.path, passwordShares: { prime: sharing.prime, shares: [sharing.shares[0]!, { id: 2, value: sharing.shares[2]!.value }] } });
    assert.equal(!mixed.ok && mixed.error.code, 'DKEK_SHARE_PASSWORD_WRONG');
    assert.equal((await handlers['keydomain.status']({ tokenId })).importedShares, 1);
    const done = await handlers['keydomain.importShare']({ tokenId, path: made.path, passwordShares: { prime: sharing.prime, shares: [sharing.shares[2]!, sharing.shares[0]!] } });
    assert.deepEqual([done.importedShares, done.totalShares, done.complete, done.shareKcv], [2, 2, true, made.shareKcv]);
  });
});
