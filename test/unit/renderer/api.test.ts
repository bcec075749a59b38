// ↔ renderer/api.ts: the typed client over window.custos.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, createApiClient, isApiError } from '../../../renderer/api.ts';

describe('api client', () => {
  it('resolves with the value of an ok Result', async () => {
    const client = createApiClient({ call: async () => ({ ok: true, value: { version: '1' } }) as never, on: () => () => {} });
    assert.deepEqual(await client.call('app.info'), { version: '1' });
  });

  it('throws an ApiError with the core code, message and details on ok: false', async () => {
    const client = createApiClient({
      call: async () => ({ ok: false, error: { code: 'PIN_INCORRECT', message: 'Wrong PIN: 2 tries left.', details: { triesLeft: 2 } } }) as never,
      on: () => () => {},
    });
    const err = await client.call('token.login', { tokenId: 't', pin: '0000' }).catch((e: unknown) => e);
    assert.ok(err instanceof ApiError);
    assert.ok(isApiError(err));
    assert.equal(err.code, 'PIN_INCORRECT');
    assert.equal(err.message, 'Wrong PIN: 2 tries left.');
    assert.deepEqual(err.details, { triesLeft: 2 });
    assert.equal(err.name, 'CustosError');
  });

  it('turns a broken bridge into an INTERNAL ApiError rather than a bare rejection', async () => {
    const client = createApiClient({ call: async () => { throw new Error('socket gone'); }, on: () => () => {} });
    await assert.rejects(client.call('token.list'), (e: unknown) => isApiError(e) && e.code === 'INTERNAL' && /socket gone/.test(e.message));
  });
});
