/**
 * A CVCA and a DV on a CA HSM that needs a custodian quorum (the rehearsal
 * set: a virtual SmartCard-HSM with 2-of-3 public-key authentication): with
 * one custodian and the PIN the card stays locked and no CV certificate is signed (the
 * attempt is journaled as failed); with two, the CVC acts sign on it and the journal holds the quorum's login
 * before their intents, as for the X.509 root.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Custos } from '../../../main/custos.ts';
import { Secret } from '../../../main/secret.ts';
import { isCustosError } from '../../../main/errors/index.ts';
import { VirtualScHsmProvider } from '../../../main/hsm/sc-hsm/provider.ts';
import { ensureRehearsalTokens, REHEARSAL_PIN } from '../../../main/rehearsal/tokens.ts';
import { CVC_OID, cvcPublicKeyFromKeyObject, encodeCvCertificate, encodeCvcBody, signCvc } from '../../../main/pki/cvc/cvc.ts';
import { initCvca, signCvcCertificate } from '../../../main/cvc/acts.ts';
import { importCvcRequest } from '../../../main/cvc/import.ts';
import { cvcStateOf } from '../../../main/cvc/state.ts';

function dvRequest(chr: string): Uint8Array {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const bodyRaw = encodeCvcBody({ cpi: 0, car: 'UTQCVCA00001', publicKey: cvcPublicKeyFromKeyObject(publicKey, CVC_OID['id-TA-ECDSA-SHA-256'], true), chr });
  return encodeCvCertificate(bodyRaw, signCvc(bodyRaw, privateKey, CVC_OID['id-TA-ECDSA-SHA-256']));
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try { await p; } catch (e) { return isCustosError(e) ? e.code : `untyped: ${String(e)}`; }
  return undefined;
}

describe('CVC acts on a CA HSM that needs a custodian quorum', () => {
  let work: string;
  const opened: Custos[] = [];

  /** A fresh rehearsal set (CA HSM with 2-of-3, three custodians) and a Custos on it; the token ids by label. */
  async function rehearsal(name: string): Promise<{ custos: Custos; ids: Map<string, string> }> {
    const set = await ensureRehearsalTokens(join(work, name, 'tokens'));
    const custos = Custos.open({ dataDir: join(work, name, 'home'), pcsc: false, operator: 'tester', providers: [new VirtualScHsmProvider([...set.all])] });
    opened.push(custos);
    return { custos, ids: new Map((await custos.tokens.list()).map((t) => [t.info.label, t.id])) };
  }

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'custos-cvc-quorum-'));
  });

  after(async () => {
    for (const c of opened) await c.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('after a logout, one custodian of two with the PIN leaves the CA HSM locked: the CVCA signs no DV (QUORUM_NOT_MET), its intent recorded as failed', async () => {
    const { custos, ids } = await rehearsal('one');
    const caId = ids.get('CA HSM')!;
    const pin = (): Secret => Secret.fromString(REHEARSAL_PIN);
    await custos.unlockWithCustodians(caId, [{ tokenId: ids.get('Custodian 1')!, pin: pin() }, { tokenId: ids.get('Custodian 2')!, pin: pin() }]);
    // The CA HSM is in the protecting mode: its PIN as well as the quorum.
    await custos.login(caId, pin());
    const key = await custos.generateKey(caId, { kind: 'ec', curve: 'P-256' }, 'cvca');
    const cvca = await initCvca(custos.ctx, { tokenId: caId, keySpkiSha256: key.spkiSha256, chr: 'UTQCVCA00001', validityDays: 1000 });
    await custos.logout(caId);

    const partial = await custos.unlockWithCustodians(caId, [{ tokenId: ids.get('Custodian 3')!, pin: pin() }]);
    assert.ok(partial.authenticatedKeys < partial.requiredKeys, `${partial.authenticatedKeys} of ${partial.requiredKeys} authenticated`);
    await custos.login(caId, pin());
    const request = importCvcRequest(custos.journal, 'UTQDV0000001.cvreq', dvRequest('UTQDV0000001')).record;
    const code = await codeOf(signCvcCertificate(custos.ctx, { issuer: cvca.id, profileId: 'dv-domestic', requestId: request.id }));
    assert.equal(code, 'QUORUM_NOT_MET');
    assert.deepEqual(custos.journal.read().filter((e) => e.kind.startsWith('cvc.certificate.sign')).map((e) => e.kind), ['cvc.certificate.sign.intent', 'cvc.certificate.sign.failed']);
    assert.equal(cvcStateOf(custos.journal).requests.get(request.id)?.signedCertificateId, undefined);
  });

  it('two custodians unlock it; the CVCA and a DV are signed on it, after the quorum\'s login in the journal, and cvc-print verifies the DV', async () => {
    const { custos, ids } = await rehearsal('two');
    const caId = ids.get('CA HSM')!;
    const status = await custos.unlockWithCustodians(caId, [
      { tokenId: ids.get('Custodian 1')!, pin: Secret.fromString(REHEARSAL_PIN) },
      { tokenId: ids.get('Custodian 2')!, pin: Secret.fromString(REHEARSAL_PIN) },
    ]);
    assert.ok(status.authenticatedKeys >= 2);
    await custos.login(caId, Secret.fromString(REHEARSAL_PIN));
    const key = await custos.generateKey(caId, { kind: 'ec', curve: 'P-256' }, 'cvca');
    const cvca = await initCvca(custos.ctx, { tokenId: caId, keySpkiSha256: key.spkiSha256, chr: 'UTQCVCA00001', validityDays: 1000 });
    const request = importCvcRequest(custos.journal, 'UTQDV0000001.cvreq', dvRequest('UTQDV0000001')).record;
    const dv = await signCvcCertificate(custos.ctx, { issuer: cvca.id, profileId: 'dv-domestic', requestId: request.id });

    const entries = custos.journal.read();
    const login = entries.findLast((e) => e.kind === 'quorum.authenticate');
    const firstCvcIntent = entries.find((e) => e.kind === 'cvc.authority.init.intent');
    assert.ok(login && firstCvcIntent && login.seq < firstCvcIntent.seq, 'the second custodian authenticated before the CVCA was intended');
    assert.equal(firstCvcIntent.token?.virtual, true);

    const dir = join(work, 'trusted');
    mkdirSync(dir);
    writeFileSync(join(dir, 'UTQCVCA00001'), cvca.raw);
    writeFileSync(join(dir, 'dv.cvcert'), dv.raw);
    const printed = spawnSync('cvc-print', ['--cvc', join(dir, 'dv.cvcert'), '--cvc-dir', dir], { encoding: 'utf8' });
    assert.match(printed.stdout, /certificate verified/, printed.stdout + printed.stderr);
  });
});
