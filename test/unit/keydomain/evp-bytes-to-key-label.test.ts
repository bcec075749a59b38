/**
 * What a custodian sees while a share file's key is derived: the progress
 * label of the window's channel names the slow JavaScript path when that is
 * the one running (the addon not built, here switched off), and says nothing
 * of it when OpenSSL's MD5 runs.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Custos, type ProgressReport } from '../../../main/custos.ts';
import { createHandlers } from '../../../main/api/handlers.ts';
import { ReadGrants } from '../../../main/exchange/read-grants.ts';
import { SHARE_FILE_ITERATIONS_ENV } from '../../../main/ca/key-domain.ts';
import { KDF_ADDON_ENV } from '../../../main/keydomain/evp-bytes-to-key.ts';
import type { Handlers } from '../../../main/api/contract.ts';

describe('the share file key derivation\'s progress label', () => {
  let work: string;
  let custos: Custos;
  let handlers: Handlers;

  before(() => {
    process.env[SHARE_FILE_ITERATIONS_ENV] = '200000';
    work = mkdtempSync(join(tmpdir(), 'custos-kdf-label-'));
    custos = Custos.open({ dataDir: join(work, 'home'), operator: 'label', providers: [], pcsc: false });
    handlers = createHandlers(custos, { readGrants: new ReadGrants(async () => []) });
  });

  after(async () => {
    delete process.env[SHARE_FILE_ITERATIONS_ENV];
    delete process.env[KDF_ADDON_ENV];
    await custos?.close();
    rmSync(work, { recursive: true, force: true });
  });

  async function labelsOfCreateShare(custodian: string): Promise<string[]> {
    const reports: ProgressReport[] = [];
    const stop = custos.onProgress((r) => reports.push(r));
    try {
      await handlers['keydomain.createShare']({ custodian, password: 'label-test-secret', passwordRepeat: 'label-test-secret' });
    } finally {
      stop();
    }
    const labels = reports.filter((r) => r.operation === 'keydomain.createShare' && r.total > 0).map((r) => r.label);
    assert.ok(labels.length > 0, JSON.stringify(reports));
    return labels;
  }

  it('says the derivation runs in JavaScript, slower, while it does', async () => {
    process.env[KDF_ADDON_ENV] = 'off';
    for (const label of await labelsOfCreateShare('Anna')) assert.match(label, /^Deriving the share file key .*in JavaScript, about three times slower.*not built/);
  });

  it('names no slow path where OpenSSL\'s MD5 runs it', { skip: process.platform !== 'linux' && 'binding.gyp builds the addon on Linux only' }, async () => {
    delete process.env[KDF_ADDON_ENV];
    for (const label of await labelsOfCreateShare('Ben')) assert.doesNotMatch(label, /JavaScript|slower/);
  });
});
