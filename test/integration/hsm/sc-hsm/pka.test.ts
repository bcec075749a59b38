import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isCustosError } from '../../../../main/errors/index.ts';
import { cardCustodian, exportCustodianKey, type CustodianAuthenticator } from '../../../../main/hsm/sc-hsm/pka.ts';
import type { ScHsmToken } from '../../../../main/hsm/sc-hsm/token.ts';
import { verifiesWith } from '../../../../main/hsm/sc-hsm/signing.ts';
import { cardBench, pin, SO_PIN } from './fixtures.ts';
import { join } from 'node:path';
import { VirtualCard } from '../../../../main/hsm/virtual/card.ts';
import { ScHsmCard } from '../../../../main/hsm/sc-hsm/card.ts';
import { InProcessTransport } from '../../../../main/hsm/sc-hsm/inprocess-transport.ts';
import { Secret } from '../../../../main/secret.ts';

const bench = cardBench();
after(() => bench.cleanup());
const code = (c: string) => (e: unknown) => isCustosError(e) && e.code === c;

/** A custodian: its own virtual SmartCard-HSM, logged in, with one EC key made for authentication. */
async function custodian(name: string): Promise<{ token: ScHsmToken; authenticator: CustodianAuthenticator; keyId: number }> {
  const token = await bench.token(await bench.card(name));
  await token.login(pin());
  const key = await token.generateKeyPair({ kind: 'ec', curve: 'P-256' }, `${name} authentication key`);
  const keyId = Number.parseInt(key.id, 16);
  return { token, keyId, authenticator: await cardCustodian(token.card, keyId) };
}

describe('m-of-n public-key authentication with custodian SmartCard-HSMs', () => {
  it('registers three custodians; two of three unlock the HSM, one alone does not', async () => {
    const hsm = await bench.token(await bench.card('quorum-hsm', { pka: { total: 3, required: 2 } }));
    assert.deepEqual(await hsm.pkaStatus(), { totalKeys: 3, keysToRegister: 3, requiredKeys: 2, authenticatedKeys: 0 });
    const custodians = [await custodian('alice'), await custodian('bob'), await custodian('carol')];
    assert.equal(new Set(custodians.map((c) => c.authenticator.chr)).size, 3, 'each custodian key has its own CHR');

    await hsm.login(pin());
    for (const c of custodians) await hsm.registerCustodian(await exportCustodianKey(c.token.card, c.keyId));
    assert.equal((await hsm.pkaStatus()).keysToRegister, 0);
    await hsm.logout();

    const [alice, bob, carol] = custodians.map((c) => c.authenticator) as [CustodianAuthenticator, CustodianAuthenticator, CustodianAuthenticator];
    await assert.rejects(hsm.loginWithCustodians([alice]), (e) => isCustosError(e) && e.code === 'QUORUM_NOT_MET' && e.details['authenticated'] === 1);
    assert.equal(hsm.info.loggedIn, false);
    await assert.rejects(hsm.generateKeyPair({ kind: 'ec', curve: 'P-256' }, 'Root'), code('NOT_LOGGED_IN'));
    await hsm.logout();

    const status = await hsm.loginWithCustodians([bob, carol]);
    assert.equal(status.authenticatedKeys, 2);
    assert.equal(hsm.info.loggedIn, true);
    const root = await hsm.generateKeyPair({ kind: 'ec', curve: 'P-384' }, 'Root');
    const message = new TextEncoder().encode('unlocked by two custodians');
    assert.ok(verifiesWith(root.spki, { scheme: 'ecdsa', hash: 'SHA-384' }, message, await hsm.signer(root).sign(message, { scheme: 'ecdsa', hash: 'SHA-384' })));

    await hsm.close();
    for (const c of custodians) await c.token.close();
  });

  it('refuses to register a key of a card no known root attests, saying its issuer is unknown', async () => {
    const hsm = await bench.token(await bench.card('quorum-foreign', { pka: { total: 1, required: 1 } }));
    const vc = await VirtualCard.create(join(bench.dir, 'foreign-custodian.card'), { foreign: {} });
    const sc = await ScHsmCard.open(new InProcessTransport(vc, { ownsCard: false }));
    await sc.initialize({ soPin: Secret.fromString(SO_PIN), pin: pin() });
    await sc.close();
    const foreign = await bench.token(vc);
    foreign.acceptUnattested();
    await foreign.login(pin());
    const key = await foreign.generateKeyPair({ kind: 'ec', curve: 'P-256' }, 'foreign authentication key');
    await hsm.login(pin());
    await assert.rejects(hsm.registerCustodian(await exportCustodianKey(foreign.card, Number.parseInt(key.id, 16))), code('CVC_ISSUER_UNKNOWN'));
    assert.equal((await hsm.pkaStatus()).keysToRegister, 1);
    await hsm.close();
    await foreign.close();
  });

  it('refuses a custodian key the HSM never registered and a forged signature', async () => {
    const hsm = await bench.token(await bench.card('quorum-strangers', { pka: { total: 1, required: 1 } }));
    const member = await custodian('dave');
    const stranger = await custodian('eve');
    await hsm.login(pin());
    await hsm.registerCustodian(await exportCustodianKey(member.token.card, member.keyId));
    await hsm.logout();
    await assert.rejects(hsm.loginWithCustodians([stranger.authenticator]), code('PKA_SIGNATURE_INVALID'));
    const forged: CustodianAuthenticator = { chr: member.authenticator.chr, signHash: (hash) => stranger.authenticator.signHash(hash) };
    await assert.rejects(hsm.loginWithCustodians([forged]), code('PKA_SIGNATURE_INVALID'));
    await hsm.loginWithCustodians([member.authenticator]);
    assert.equal(hsm.info.loggedIn, true);
    await Promise.all([hsm.close(), member.token.close(), stranger.token.close()]);
  });
});
