/**
 * The custodian quorum through pcscd: the CA HSM is a virtual SmartCard-HSM
 * in its own process behind a private pcscd + vpcd, set up for the PIN and
 * 2 of 3 custodians (the protecting mode), and Custos reaches it over PC/SC
 * as it reaches a real card. One custodian with the PIN cannot sign, two can,
 * the record names them, and a card reset between signatures is detected and
 * the quorum collected again on the same token. Needs root for pcscd's
 * private socket.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCustosError } from '../../../../main/errors/index.ts';
import { cardCustodian, PROTECTING_OPTIONS, type CustodianAuthenticator, type CustodianKeyExport } from '../../../../main/hsm/sc-hsm/pka.ts';
import { ScHsmProvider } from '../../../../main/hsm/sc-hsm/provider.ts';
import type { ScHsmToken } from '../../../../main/hsm/sc-hsm/token.ts';
import { keyGenerationBody } from '../../../../main/hsm/sc-hsm/keys.ts';
import { verifiesWith } from '../../../../main/hsm/sc-hsm/signing.ts';
import { tokenRecord, type KeyRef } from '../../../../main/hsm/token.ts';
import { createInitializedCard, startCardProcess, type CardProcess } from '../../../support/card-process.ts';
import { cardBench, pin, PIN } from './fixtures.ts';

const isRoot = process.getuid?.() === 0;
const ES256 = { scheme: 'ecdsa', hash: 'SHA-256' } as const;
const code = (c: string) => (e: unknown) => isCustosError(e) && e.code === c;

interface Custodian { readonly token: ScHsmToken; readonly authenticator: CustodianAuthenticator; readonly exported: CustodianKeyExport }

describe('a 2-of-3 custodian quorum on a CA HSM reached through pcscd', { skip: isRoot ? false : 'a private pcscd needs root' }, () => {
  const bench = cardBench();
  let work: string;
  let card: CardProcess;
  let provider: ScHsmProvider;
  let hsm: ScHsmToken;
  const custodians: Custodian[] = [];
  let key: KeyRef;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-pka-pcsc-'));
    const stateFile = join(work, 'ca-hsm.vsc');
    await createInitializedCard(stateFile, PIN, 'CA HSM', { pka: { total: 3, required: 2 }, options: PROTECTING_OPTIONS });
    card = await startCardProcess(stateFile);
    provider = new ScHsmProvider();
    hsm = await provider.openScHsm({});
    // Each custodian's own token (in-process virtual cards: the private pcscd serves one reader).
    for (const name of ['alice', 'bob', 'carol']) {
      const token = await bench.token(await bench.card(name));
      await token.login(pin());
      const { key: k, exported } = await token.generateCustodianKey(`${name} authentication key`);
      custodians.push({ token, exported, authenticator: await cardCustodian(token.card, Number.parseInt(k.id, 16)) });
    }
  });

  after(async () => {
    for (const c of custodians) await c.token.close();
    await provider?.close();
    await card?.stop();
    bench.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('registers three custodians over PC/SC and reads the protecting mode from the card: "0 of 2 (3 registered)"', async () => {
    await hsm.login(pin());
    for (const c of custodians) await hsm.registerCustodian(c.exported);
    await hsm.logout();
    const mode = await hsm.quorumMode();
    assert.deepEqual([mode.mode, mode.protecting], ['pin-and-quorum', true]);
    assert.deepEqual(mode.status, { totalKeys: 3, keysToRegister: 0, requiredKeys: 2, authenticatedKeys: 0 });
    assert.deepEqual((await hsm.registeredCustodians())?.map((c) => c.chr), custodians.map((c) => c.authenticator.chr));
  });

  it('refuses one custodian with the user PIN, in Custos and on the card itself', async () => {
    await hsm.authenticateCustodian(custodians[0]!.authenticator);
    await hsm.login(pin());
    assert.equal(hsm.info.loggedIn, false, 'one custodian and the PIN are not a login');
    await assert.rejects(hsm.generateKeyPair({ kind: 'ec', curve: 'P-256' }, 'CA'), code('QUORUM_NOT_MET'));
    await assert.rejects(hsm.card.generateKeyPair(1, keyGenerationBody({ kind: 'ec', curve: 'P-256' }, 'UTONECUST00001')),
      (e) => isCustosError(e) && e.details['sw'] === '6982');
    assert.equal(hsm.info.quorum?.authenticated, 1);
  });

  it('signs once a second custodian has authenticated, and the record of the act names both by CHR and key', async () => {
    await hsm.authenticateCustodian(custodians[1]!.authenticator);
    assert.equal(hsm.info.loggedIn, true);
    key = await hsm.generateKeyPair({ kind: 'ec', curve: 'P-256' }, 'CA');
    const message = new TextEncoder().encode('signed under the quorum, through pcscd');
    assert.ok(verifiesWith(key.spki, ES256, message, await hsm.signer(key).sign(message, ES256)));
    const record = tokenRecord(hsm.info);
    assert.deepEqual(record.quorum?.custodians, custodians.slice(0, 2).map((c) => ({ chr: c.authenticator.chr, keySha256: c.authenticator.keySha256 })));
  });

  it('detects a card reset before the next signature and signs again once the quorum is collected again, without reopening', async () => {
    await card.act('reset');
    const message = new TextEncoder().encode('after the reset');
    await assert.rejects(hsm.signer(key).sign(message, ES256), (e) => isCustosError(e) && ['QUORUM_NOT_MET', 'AUTH_STATE_LOST'].includes(e.code));
    await assert.rejects(hsm.signer(key).sign(message, ES256), code('QUORUM_NOT_MET'));
    assert.deepEqual(hsm.info.quorum?.custodians, [], 'the custodians the card forgot are not shown as authenticated');
    await hsm.authenticateCustodian(custodians[2]!.authenticator);
    await hsm.login(pin());
    await assert.rejects(hsm.signer(key).sign(message, ES256), code('QUORUM_NOT_MET'));
    await hsm.authenticateCustodian(custodians[0]!.authenticator);
    assert.ok(verifiesWith(key.spki, ES256, message, await hsm.signer(key).sign(message, ES256)));
    assert.deepEqual(tokenRecord(hsm.info).quorum?.custodians.map((c) => c.chr), [custodians[2]!.authenticator.chr, custodians[0]!.authenticator.chr]);
  });
});
