/**
 * The custodian quorum on virtual SmartCard-HSMs through the driver: the
 * protecting mode (PIN and m of n custodians), authentication one custodian at
 * a time on one held connection, and the cases that must not change the count.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { isCustosError } from '../../../../main/errors/index.ts';
import {
  cardCustodian, decodeRegistrationFile, encodeRegistrationFile, PROTECTING_OPTIONS, type CustodianAuthenticator, type CustodianKeyExport,
} from '../../../../main/hsm/sc-hsm/pka.ts';
import type { ScHsmToken } from '../../../../main/hsm/sc-hsm/token.ts';
import { ALGO_ECDSA } from '../../../../main/hsm/sc-hsm/commands.ts';
import { keyGenerationBody } from '../../../../main/hsm/sc-hsm/keys.ts';
import { verifiesWith } from '../../../../main/hsm/sc-hsm/signing.ts';
import { VirtualCard } from '../../../../main/hsm/virtual/card.ts';
import { ScHsmCard } from '../../../../main/hsm/sc-hsm/card.ts';
import { InProcessTransport } from '../../../../main/hsm/sc-hsm/inprocess-transport.ts';
import { Secret } from '../../../../main/secret.ts';
import { cardBench, pin, SO_PIN } from './fixtures.ts';

const bench = cardBench();
after(() => bench.cleanup());
const code = (c: string) => (e: unknown) => isCustosError(e) && e.code === c;
const ES384 = { scheme: 'ecdsa', hash: 'SHA-384' } as const;

interface Custodian { readonly vc: VirtualCard; readonly token: ScHsmToken; readonly authenticator: CustodianAuthenticator; readonly exported: CustodianKeyExport }

/** A custodian: their own virtual SmartCard-HSM, logged in, with an authentication key made as Custos enrols one. */
async function custodian(name: string): Promise<Custodian> {
  const vc = await bench.card(name);
  const token = await bench.token(vc);
  await token.login(pin());
  const { key, exported } = await token.generateCustodianKey(`${name} authentication key`);
  return { vc, token, exported, authenticator: await cardCustodian(token.card, Number.parseInt(key.id, 16)) };
}

/** A CA HSM for 2 of 3 in the given options, its three custodians registered, logged out again. */
async function quorumHsm(name: string, options: number): Promise<{ vc: VirtualCard; hsm: ScHsmToken; custodians: Custodian[] }> {
  const vc = await bench.card(name, { pka: { total: 3, required: 2 }, options });
  const hsm = await bench.token(vc);
  const custodians = [await custodian(`${name}-alice`), await custodian(`${name}-bob`), await custodian(`${name}-carol`)];
  await hsm.login(pin());
  for (const c of custodians) await hsm.registerCustodian(c.exported);
  await hsm.logout();
  return { vc, hsm, custodians };
}

describe('a CA HSM in the protecting mode (PIN and 2 of 3 custodians)', () => {
  it('reads the mode from the card and calls it quorum-protected, with "0 of 2 authenticated (3 registered)"', async () => {
    const { hsm, custodians } = await quorumHsm('mode', PROTECTING_OPTIONS);
    const mode = await hsm.quorumMode();
    assert.equal(mode.mode, 'pin-and-quorum');
    assert.equal(mode.protecting, true);
    assert.deepEqual({ ...hsm.info.quorum, custodians: undefined }, {
      mode: 'pin-and-quorum', protecting: true, total: 3, registered: 3, required: 2, authenticated: 0, custodians: undefined,
    });
    await hsm.close();
    for (const c of custodians) await c.token.close();
  });

  it('never calls a card quorum-protected when its PIN alone would unlock it (PKA without option 0010)', async () => {
    const vc = await bench.card('or-mode', { pka: { total: 2, required: 2 } });
    const hsm = await bench.token(vc);
    const mode = await hsm.quorumMode();
    assert.equal(mode.mode, 'pin-or-quorum');
    assert.equal(mode.protecting, false);
    // And indeed the card takes the PIN alone: it makes a key for the PIN with no custodian at all.
    await hsm.login(pin());
    const request = await hsm.card.generateKeyPair(1, keyGenerationBody({ kind: 'ec', curve: 'P-256' }, 'UTPINALONE00001'));
    assert.equal(request[0], 0x67);
    // With no custodian registered there is no quorum to ask for: the PIN is the login, as the card says.
    await hsm.generateKeyPair({ kind: 'ec', curve: 'P-256' }, 'pin alone');
    await hsm.close();
  });

  it('refuses one custodian with the PIN — on the host and on the card itself — and signs once a second custodian has authenticated', async () => {
    const { hsm, custodians } = await quorumHsm('sign', PROTECTING_OPTIONS);
    const [alice, bob] = custodians as [Custodian, Custodian, Custodian];
    await hsm.authenticateCustodian(alice.authenticator);
    await hsm.login(pin());
    assert.equal(hsm.info.quorum?.authenticated, 1);
    assert.equal(hsm.info.loggedIn, false, 'one custodian and the PIN are not a login');
    await assert.rejects(hsm.generateKeyPair({ kind: 'ec', curve: 'P-384' }, 'Root'), code('QUORUM_NOT_MET'));
    // The card refuses too, whatever the host does: key generation straight to the card answers 6982.
    await assert.rejects(hsm.card.generateKeyPair(1, keyGenerationBody({ kind: 'ec', curve: 'P-256' }, 'UTONECUST00001')), (e) => isCustosError(e) && e.details['sw'] === '6982');

    const info = await hsm.authenticateCustodian(bob.authenticator);
    assert.equal(info.authenticated, 2);
    assert.deepEqual(info.custodians.map((c) => c.chr), [alice.authenticator.chr, bob.authenticator.chr]);
    assert.equal(hsm.info.loggedIn, true);
    const root = await hsm.generateKeyPair({ kind: 'ec', curve: 'P-384' }, 'Root');
    const message = new TextEncoder().encode('signed under the quorum');
    const signer = hsm.signer(root);
    assert.deepEqual(signer.token.quorum?.custodians.map((c) => c.keySha256), [alice.authenticator.keySha256, bob.authenticator.keySha256]);
    assert.ok(verifiesWith(root.spki, ES384, message, await signer.sign(message, ES384)));
    await hsm.close();
    for (const c of custodians) await c.token.close();
  });

  it('keeps the count when a custodian\'s token is taken away afterwards', async () => {
    const { hsm, custodians } = await quorumHsm('removed-after', PROTECTING_OPTIONS);
    const [alice, bob] = custodians as [Custodian, Custodian, Custodian];
    await hsm.authenticateCustodian(alice.authenticator);
    await alice.token.close();
    await alice.vc.close();
    await hsm.authenticateCustodian(bob.authenticator);
    await bob.token.close();
    await bob.vc.close();
    await hsm.login(pin());
    const status = await hsm.quorumMode();
    assert.equal(status.status?.authenticatedKeys, 2);
    await hsm.generateKeyPair({ kind: 'ec', curve: 'P-256' }, 'after removal');
    await hsm.close();
    await custodians[2]!.token.close();
  });

  it('detects a lost authentication state on the card and collects the quorum again on the same connection', async () => {
    const { vc, hsm, custodians } = await quorumHsm('lost', PROTECTING_OPTIONS);
    const [alice, bob, carol] = custodians as [Custodian, Custodian, Custodian];
    await hsm.authenticateCustodian(alice.authenticator);
    await hsm.authenticateCustodian(bob.authenticator);
    await hsm.login(pin());
    const key = await hsm.generateKeyPair({ kind: 'ec', curve: 'P-256' }, 'CA');
    // Another program selects the applet: the card forgets PIN and quorum.
    const other = await ScHsmCard.open(new InProcessTransport(vc, { ownsCard: false }));
    await other.transport.close();
    const message = new TextEncoder().encode('after the reset');
    await assert.rejects(hsm.signer(key).sign(message, { scheme: 'ecdsa', hash: 'SHA-256' }), (e) => isCustosError(e) && e.code === 'QUORUM_NOT_MET' && e.details['authenticated'] === 0);
    assert.deepEqual(hsm.info.quorum?.custodians, [], 'the custodians the card forgot are no longer shown as authenticated');
    await hsm.authenticateCustodian(carol.authenticator);
    await hsm.authenticateCustodian(alice.authenticator);
    await hsm.login(pin());
    assert.ok(verifiesWith(key.spki, { scheme: 'ecdsa', hash: 'SHA-256' }, message, await hsm.signer(key).sign(message, { scheme: 'ecdsa', hash: 'SHA-256' })));
    await hsm.close();
    for (const c of custodians) await c.token.close();
  });

  it('refuses the same custodian twice, an unregistered token, a forged signature and a token pulled out mid-signature, and the count stays right', async () => {
    const { hsm, custodians } = await quorumHsm('bad', PROTECTING_OPTIONS);
    const [alice, bob] = custodians as [Custodian, Custodian, Custodian];
    const stranger = await custodian('bad-stranger');
    await hsm.authenticateCustodian(alice.authenticator);
    await assert.rejects(hsm.authenticateCustodian(alice.authenticator), code('CUSTODIAN_ALREADY_AUTHENTICATED'));
    assert.equal(hsm.info.quorum?.authenticated, 1);
    await assert.rejects(hsm.authenticateCustodian(stranger.authenticator), code('CUSTODIAN_NOT_REGISTERED'));
    assert.equal(hsm.info.quorum?.authenticated, 1);
    const forged: CustodianAuthenticator = { ...bob.authenticator, signHash: (hash) => stranger.authenticator.signHash(hash) };
    await assert.rejects(hsm.authenticateCustodian(forged), code('PKA_SIGNATURE_INVALID'));
    assert.equal(hsm.info.quorum?.authenticated, 1);
    await bob.token.close();
    await bob.vc.close();
    await assert.rejects(hsm.authenticateCustodian(bob.authenticator), (e) => isCustosError(e));
    assert.equal(hsm.info.quorum?.authenticated, 1);
    assert.deepEqual(hsm.info.quorum?.custodians.map((c) => c.chr), [alice.authenticator.chr]);
    await hsm.authenticateCustodian(custodians[2]!.authenticator);
    assert.equal(hsm.info.quorum?.authenticated, 2);
    await Promise.all([hsm.close(), alice.token.close(), custodians[2]!.token.close(), stranger.token.close()]);
  });
});

describe('custodian registration', () => {
  it('writes and reads the registration file sc-hsm-tool --export-for-pub-key-auth writes: 30 { 67 request, device CVC, DICA CVC }', async () => {
    const c = await custodian('file');
    const file = encodeRegistrationFile(c.exported);
    assert.equal(file[0], 0x30);
    assert.deepEqual(decodeRegistrationFile(file), c.exported);
    await c.token.close();
  });

  it('registers a custodian whose device no known root attests only when the operator confirms it, on an HSM that does not know that root', async () => {
    const hsmCard = await bench.card('foreign-hsm', { pka: { total: 2, required: 2 }, options: PROTECTING_OPTIONS });
    const hsm = await bench.token(hsmCard);
    const vc = await VirtualCard.create(join(bench.dir, 'foreign-custodian.card'), { foreign: {} });
    const sc = await ScHsmCard.open(new InProcessTransport(vc, { ownsCard: false }));
    await sc.initialize({ soPin: Secret.fromString(SO_PIN), pin: pin() });
    await sc.close();
    const foreign = await bench.token(vc);
    foreign.acceptUnattested();
    await foreign.login(pin());
    const { exported } = await foreign.generateCustodianKey('foreign authentication key');
    await hsm.login(pin());
    await assert.rejects(hsm.registerCustodian(exported), code('CUSTODIAN_NOT_ATTESTED'));
    assert.equal((await hsm.pkaStatus()).keysToRegister, 2, 'nothing was registered');
    const status = await hsm.registerCustodian(exported, { acceptUnattested: true });
    assert.equal(status.keysToRegister, 1);
    await hsm.close();
    await foreign.close();
  });

  it('refuses before registration a custodian key the HSM would not accept (an RSA key), and registers nothing', async () => {
    const c = await custodian('rsa-custodian');
    const rsa = await c.token.generateKeyPair({ kind: 'rsa', bits: 2048 }, 'rsa key');
    const hsm = await bench.token(await bench.card('kind-hsm', { pka: { total: 2, required: 2 }, options: PROTECTING_OPTIONS }));
    await hsm.login(pin());
    await assert.rejects(hsm.registerCustodian(await c.token.exportCustodianKey(rsa)), code('CUSTODIAN_KEY_UNSUITABLE'));
    assert.equal((await hsm.pkaStatus()).keysToRegister, 2);
    await hsm.close();
    await c.token.close();
  });

  it('signs the authentication with the custodian key as plain r||s over SHA-256(device CHR || challenge)', async () => {
    const c = await custodian('plain-signature');
    const hash = new Uint8Array(32).fill(7);
    const signature = await c.authenticator.signHash(hash);
    assert.equal(signature.length, 64);
    const der = await c.token.card.sign(Number.parseInt((await c.token.listKeys())[0]!.id, 16), ALGO_ECDSA, hash);
    assert.equal(der[0], 0x30, 'the card answers DER; the HSM is sent r||s');
    await c.token.close();
  });
});
