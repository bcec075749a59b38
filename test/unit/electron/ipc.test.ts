// ↔ electron/ipc.ts and electron/dispatch.ts. ipcMain cannot run without an
// Electron runtime, so a recorder stands in for its handle/removeHandler.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IpcMainInvokeEvent } from 'electron';
import { api } from '../../../main/api/contract.ts';
import { bindApi, type IpcHandleRegistry } from '../../../electron/ipc.ts';
import { createFakeCore } from '../../support/fake-handlers.ts';

type Listener = (event: IpcMainInvokeEvent, ...args: unknown[]) => Promise<unknown>;

function recorder() {
  const bound = new Map<string, Listener>();
  const registry: IpcHandleRegistry = {
    handle: (channel, listener) => { bound.set(channel, listener); },
    removeHandler: (channel) => { bound.delete(channel); },
  };
  return { bound, registry };
}

const fromApp = { senderFrame: { url: 'app://custos/index.html' } } as unknown as IpcMainInvokeEvent;
const isAppUrl = (url: string) => url.startsWith('app://custos/');

describe('bindApi', () => {
  it('binds every channel of the contract under custos:, and unbinds them all', () => {
    const { bound, registry } = recorder();
    const unbind = bindApi(registry, createFakeCore().handlers, isAppUrl);
    assert.deepEqual([...bound.keys()].sort(), Object.keys(api).map((c) => `custos:${c}`).sort());
    unbind();
    assert.equal(bound.size, 0);
  });

  it('answers a call from the app with { ok: true, value }', async () => {
    const { bound, registry } = recorder();
    bindApi(registry, createFakeCore({ rehearsal: true }).handlers, isAppUrl);
    const result = await bound.get('custos:app.info')!(fromApp, undefined) as { ok: boolean; value: { rehearsal: boolean } };
    assert.equal(result.ok, true);
    assert.equal(result.value.rehearsal, true);
  });

  it('refuses a sender whose frame is not the app, before the handler runs', async () => {
    const { bound, registry } = recorder();
    const fake = createFakeCore();
    bindApi(registry, fake.handlers, isAppUrl);
    const foreign = { senderFrame: { url: 'https://evil.example/' } } as unknown as IpcMainInvokeEvent;
    await assert.rejects(bound.get('custos:token.list')!(foreign, undefined), /not the app/);
    const noFrame = { senderFrame: null } as unknown as IpcMainInvokeEvent;
    await assert.rejects(bound.get('custos:token.list')!(noFrame, undefined), /not the app/);
    assert.deepEqual(fake.calls, []);
  });

  it('rejects input that fails the channel schema with INPUT_INVALID and never echoes it', async () => {
    const { bound, registry } = recorder();
    const fake = createFakeCore();
    bindApi(registry, fake.handlers, isAppUrl);
    const result = await bound.get('custos:token.login')!(fromApp, { tokenId: 'x', pin: '12' }) as { ok: false; error: { code: string; message: string; details: Record<string, unknown> } };
    assert.equal(result.ok, false);
    assert.equal(result.error.code, 'INPUT_INVALID');
    assert.deepEqual(result.error.details['fields'], ['pin']);
    assert.doesNotMatch(JSON.stringify(result), /"12"/);
    assert.deepEqual(fake.calls, []);
  });

  it('turns a CustosError thrown by the core into { ok: false, error: { code, message, details } }', async () => {
    const { bound, registry } = recorder();
    bindApi(registry, createFakeCore().handlers, isAppUrl);
    const tokenId = 'virtual:VS0001:Rehearsal';
    const result = await bound.get('custos:token.login')!(fromApp, { tokenId, pin: '999999' }) as { ok: false; error: { code: string; details: Record<string, unknown> } };
    assert.equal(result.error.code, 'PIN_INCORRECT');
    assert.equal(result.error.details['tokenId'], tokenId);
    assert.doesNotMatch(JSON.stringify(result), /999999/);
  });
});
