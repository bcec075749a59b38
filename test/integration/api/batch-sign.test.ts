/**
 * request.signBatch on the real core (SoftHSM2): the window hears the core's
 * determinate progress after each certificate, a cancel stops the batch
 * between certificates and leaves the rest pending with no act half done, and
 * a request that cannot be signed stops the batch naming it, the ones before
 * it signed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAppCore, type AppCore } from '../../../electron/core.ts';
import type { EventName, EventPayload } from '../../../main/api/contract.ts';
import { CustosError } from '../../../main/errors/index.ts';
import { createSoftHsm, type SoftHsm } from '../../support/softhsm.ts';
import { runTool } from '../../support/openssl.ts';

async function csrBase64(cn: string): Promise<string> {
  const r = await runTool('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'k.pem', '-out', 'r.csr', '-subj', `/CN=${cn}`, '-addext', `subjectAltName=DNS:${cn}`], { outputs: ['r.csr'] });
  assert.equal(r.code, 0, r.stderr);
  return Buffer.from(r.outputs['r.csr']!).toString('base64');
}

describe('request.signBatch', () => {
  let work: string;
  let hsm: SoftHsm;
  let core: AppCore;
  let caId: string;
  const progress: EventPayload<'progress'>[] = [];
  let unsubscribe: () => void;

  /** Imports n requests and previews each under tls-server: the items a custodian reviewed. */
  async function reviewed(prefix: string, n: number) {
    const items: { requestId: string; tbsSha256: string }[] = [];
    for (let i = 0; i < n; i++) {
      const [r] = await core.handlers['request.import']({ fileName: `${prefix}-${i}.csr`, contentBase64: await csrBase64(`${prefix}-${i}.example`) });
      const p = await core.handlers['request.preview']({ requestId: r!.id, caId, profileId: 'tls-server' });
      items.push({ requestId: r!.id, tbsSha256: p.tbsSha256 });
    }
    return items;
  }
  const statusOf = async (requestId: string) => (await core.handlers['request.get']({ requestId })).summary.status;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-batch-'));
    hsm = await createSoftHsm();
    await hsm.initToken('Batch CA', '12345678', '123456');
    core = await openAppCore({ dataDir: join(work, 'home'), rehearsalModules: [hsm.modulePath], operator: 'batch' });
    unsubscribe = core.events.subscribe((name: EventName, payload) => { if (name === 'progress') progress.push(payload as EventPayload<'progress'>); });
    const h = core.handlers;
    const [token] = await h['token.list']();
    await h['token.login']({ tokenId: token!.id, pin: '123456' });
    const key = await h['token.generateKey']({ tokenId: token!.id, spec: { kind: 'ec', curve: 'P-384' }, label: 'batch-root' });
    const rootTerms = { tokenId: token!.id, keySpkiSha256: key.spkiSha256, profileId: 'root-ca', subject: 'CN=Batch Root' };
    caId = (await h['ca.createRoot']({ ...rootTerms, name: 'Batch Root', tbsSha256: (await h['ca.previewRoot'](rootTerms)).tbsSha256 })).id;
  });
  after(async () => {
    unsubscribe?.();
    await core?.close();
    await hsm?.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('signs every reviewed preview and reports 0 of 3 … 3 of 3 as it goes', async () => {
    const items = await reviewed('all', 3);
    progress.length = 0;
    const out = await core.handlers['request.signBatch']({ caId, profileId: 'tls-server', items });
    assert.equal(out.cancelled, false);
    assert.deepEqual(out.notSigned, []);
    assert.deepEqual(out.issued.map((c) => c.subject), ['CN=all-0.example', 'CN=all-1.example', 'CN=all-2.example']);
    const batch = progress.filter((p) => p.operation === 'request.signBatch');
    assert.deepEqual(batch.map((p) => [p.done, p.total]), [[0, 3], [1, 3], [2, 3], [3, 3]]);
    for (const item of items) assert.equal(await statusOf(item.requestId), 'signed');
  });

  it('stops between certificates when cancelled: the rest stay pending and no act is left half done', async () => {
    const items = await reviewed('cancel', 4);
    progress.length = 0;
    // Cancel as soon as the first certificate is reported signed, as the window's Cancel button would.
    const stop = core.events.subscribe((name, payload) => {
      if (name === 'progress' && (payload as EventPayload<'progress'>).done === 1) void core.handlers['work.cancel']({ operation: 'request.signBatch' });
    });
    try {
      const out = await core.handlers['request.signBatch']({ caId, profileId: 'tls-server', items });
      assert.equal(out.cancelled, true);
      assert.ok(out.issued.length >= 1 && out.issued.length < 4, `signed ${out.issued.length} of 4 before stopping`);
      assert.deepEqual(out.notSigned, items.slice(out.issued.length).map((i) => i.requestId));
      for (const id of out.notSigned) assert.equal(await statusOf(id), 'pending');
      const verify = await core.handlers['journal.verify']();
      assert.equal(verify.ok, true);
      assert.deepEqual(verify.pendingIntents, [], 'no intent without its result');
    } finally {
      stop();
    }
  });

  it('cancelling when no batch runs says so and changes nothing', async () => {
    assert.deepEqual(await core.handlers['work.cancel']({ operation: 'request.signBatch' }), { cancelling: false });
    // A later batch is not born cancelled.
    const items = await reviewed('after-cancel', 1);
    const out = await core.handlers['request.signBatch']({ caId, profileId: 'tls-server', items });
    assert.equal(out.issued.length, 1);
  });

  it('a preview that is no longer held stops the batch at that request, naming it; the ones before stay signed', async () => {
    const items = await reviewed('stale', 3);
    const bad = { requestId: items[1]!.requestId, tbsSha256: 'ab'.repeat(32) };
    await assert.rejects(core.handlers['request.signBatch']({ caId, profileId: 'tls-server', items: [items[0]!, bad, items[2]!] }), (e: unknown) => {
      assert.ok(e instanceof CustosError);
      assert.equal(e.code, 'BATCH_STOPPED');
      assert.equal(e.details.requestId, bad.requestId);
      assert.equal(e.details.stoppedBy, 'PREVIEW_EXPIRED');
      assert.equal(e.details.signed, 1);
      assert.match(e.message, /Request 2 of 3 was not signed/);
      return true;
    });
    assert.equal(await statusOf(items[0]!.requestId), 'signed');
    assert.equal(await statusOf(items[1]!.requestId), 'pending');
    assert.equal(await statusOf(items[2]!.requestId), 'pending');
  });

  it('a logged-out CA token stops the batch at its first request, carrying the code the window offers a login for', async () => {
    const items = await reviewed('logged-out', 2);
    const [token] = await core.handlers['token.list']();
    await core.handlers['token.logout']({ tokenId: token!.id });
    try {
      await assert.rejects(core.handlers['request.signBatch']({ caId, profileId: 'tls-server', items }), (e: unknown) => {
        assert.ok(e instanceof CustosError);
        assert.equal(e.code, 'BATCH_STOPPED');
        assert.match(String(e.details.stoppedBy), /^(NOT_LOGGED_IN|KEY_NOT_FOUND)$/);
        assert.equal(e.details.signed, 0);
        assert.doesNotMatch(JSON.stringify({ message: e.message, details: e.details }), /123456/, 'no PIN in the error');
        return true;
      });
      for (const item of items) assert.equal(await statusOf(item.requestId), 'pending');
    } finally {
      await core.handlers['token.login']({ tokenId: token!.id, pin: '123456' });
    }
  });

  it('refuses a second batch while one runs', async () => {
    const items = await reviewed('twice', 2);
    const more = await reviewed('twice-b', 1);
    const first = core.handlers['request.signBatch']({ caId, profileId: 'tls-server', items });
    await assert.rejects(core.handlers['request.signBatch']({ caId, profileId: 'tls-server', items: more }), (e: unknown) => e instanceof CustosError && e.code === 'OPERATION_IN_PROGRESS');
    assert.equal((await first).issued.length, 2);
  });
});
