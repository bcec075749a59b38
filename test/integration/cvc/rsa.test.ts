/**
 * RSA CV certificates signed on a real SoftHSM2 token, judged by OpenPACE:
 * a CVCA whose key is RSA signs with PKCS#1 v1.5 (id-TA-RSA-v1-5-SHA-256)
 * and a DV whose key is RSA with PSS (id-TA-RSA-PSS-SHA-256, salt as long as
 * the hash) signs its terminal; cvc-print verifies each link, and refuses a
 * changed byte. The EC chain's tests are in openpace.test.ts.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { createSoftHsm, type SoftHsm } from '../../support/softhsm.ts';
import { Custos } from '../../../main/custos.ts';
import { Secret } from '../../../main/secret.ts';
import { isCustosError } from '../../../main/errors/index.ts';
import { CVC_OID, cvcPublicKeyFromKeyObject, decodeCvCertificate, encodeCvCertificate, encodeCvcBody, signCvc } from '../../../main/pki/cvc/cvc.ts';
import { initCvca, makeCvcRequest, signCvcCertificate } from '../../../main/cvc/acts.ts';
import { importCvcCertificates, importCvcRequest } from '../../../main/cvc/import.ts';
import type { CvcCertificateRecord } from '../../../main/cvc/state.ts';

const PIN = '246810';

function verdict(args: readonly string[]): string {
  const r = spawnSync('cvc-print', args, { encoding: 'utf8' });
  const out = `${r.stdout}${r.stderr}`;
  return /certificate (not )?verified/.exec(out)?.[0] ?? `no verdict in: ${out}`;
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try { await p; } catch (e) { return isCustosError(e) ? e.code : `untyped: ${String(e)}`; }
  return undefined;
}

/** A terminal's own RSA request, made outside Custos: a plain 7F21 signed with PSS by its key. */
function rsaTerminalRequest(chr: string): Uint8Array {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const oid = CVC_OID['id-TA-RSA-PSS-SHA-256'];
  const bodyRaw = encodeCvcBody({ cpi: 0, publicKey: cvcPublicKeyFromKeyObject(publicKey, oid, true), chr });
  return encodeCvCertificate(bodyRaw, signCvc(bodyRaw, privateKey, oid));
}

describe('RSA CV certificates on SoftHSM2, checked by OpenPACE', () => {
  let hsm: SoftHsm;
  let work: string;
  let custos: Custos;
  let tokenId: string;
  let cvca: CvcCertificateRecord;
  let dv: CvcCertificateRecord;
  let terminal: CvcCertificateRecord;

  before(async () => {
    hsm = await createSoftHsm();
    await hsm.initToken('CVC RSA HSM', '13572468', PIN);
    work = mkdtempSync(join(tmpdir(), 'custos-cvc-rsa-'));
    custos = Custos.open({ dataDir: join(work, 'home'), rehearsalModules: [hsm.modulePath], operator: 'tester' });
    tokenId = (await custos.tokens.list())[0]!.id;
    await custos.login(tokenId, Secret.fromString(PIN));
    const ctx = custos.ctx;
    const cvcaKey = await custos.generateKey(tokenId, { kind: 'rsa', bits: 2048 }, 'cvca-rsa');
    cvca = await initCvca(ctx, { tokenId, keySpkiSha256: cvcaKey.spkiSha256, chr: 'UTRSACA00001', algorithm: 'id-TA-RSA-v1-5-SHA-256', validityDays: 1000 });
    const dvKey = await custos.generateKey(tokenId, { kind: 'rsa', bits: 2048 }, 'dv-rsa');
    const dvRequest = await makeCvcRequest(ctx, { tokenId, keySpkiSha256: dvKey.spkiSha256, chr: 'UTRSADV000001', car: 'UTRSACA00001', algorithm: 'id-TA-RSA-PSS-SHA-256' });
    const dvImported = importCvcRequest(ctx.journal, 'UTRSADV000001.cvreq', dvRequest).record;
    dv = await signCvcCertificate(ctx, { issuer: cvca.id, profileId: 'dv-domestic', requestId: dvImported.id });
    const termImported = importCvcRequest(ctx.journal, 'UTRSATM00001.cvreq', rsaTerminalRequest('UTRSATM00001')).record;
    terminal = await signCvcCertificate(ctx, { issuer: dv.id, profileId: 'terminal-at', requestId: termImported.id, validityDays: 30 });
  });

  after(async () => {
    await custos.close();
    rmSync(work, { recursive: true, force: true });
    await hsm.cleanup();
  });

  it('carries the RSA OIDs asked for: v1.5 on the CVCA, PSS on the DV and its terminal', () => {
    assert.equal(decodeCvCertificate(cvca.raw).body.publicKey.oid, CVC_OID['id-TA-RSA-v1-5-SHA-256']);
    assert.equal(decodeCvCertificate(dv.raw).body.publicKey.oid, CVC_OID['id-TA-RSA-PSS-SHA-256']);
    assert.equal(decodeCvCertificate(terminal.raw).body.publicKey.oid, CVC_OID['id-TA-RSA-PSS-SHA-256']);
  });

  it('cvc-print verifies the v1.5 CVCA, the DV it signed and the terminal the DV signed with PSS', () => {
    const dir = join(work, 'trusted');
    mkdirSync(dir);
    writeFileSync(join(dir, 'UTRSACA00001'), cvca.raw);
    writeFileSync(join(dir, 'UTRSADV000001'), dv.raw);
    for (const [name, raw] of [['cvca', cvca.raw], ['dv', dv.raw], ['terminal', terminal.raw]] as const) {
      writeFileSync(join(dir, `${name}.cvcert`), raw);
      assert.equal(verdict(['--cvc', join(dir, `${name}.cvcert`), '--cvc-dir', dir]), 'certificate verified', name);
    }
  });

  it('cvc-print says "not verified" for the PSS-signed terminal with one byte of its signature changed', () => {
    const dir = join(work, 'tampered');
    mkdirSync(dir);
    writeFileSync(join(dir, 'UTRSACA00001'), cvca.raw);
    writeFileSync(join(dir, 'UTRSADV000001'), dv.raw);
    const bytes = Uint8Array.from(terminal.raw);
    bytes[bytes.length - 7]! ^= 0x40;
    writeFileSync(join(dir, 'terminal.cvcert'), bytes);
    assert.equal(verdict(['--cvc', join(dir, 'terminal.cvcert'), '--cvc-dir', dir]), 'certificate not verified');
  });

  it('RSA certificates cvc-create made (PSS CVCA, v1.5 DV) import into Custos and verify; a changed signature byte is refused', () => {
    const dir = join(work, 'openpace');
    mkdirSync(dir);
    const key = join(dir, 'cvca.pkcs8');
    writeFileSync(key, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'der' }));
    const made = (args: string[]): void => {
      const r = spawnSync('cvc-create', args, { cwd: dir, encoding: 'utf8' });
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    };
    made(['--role=cvca', '--type=at', '--chr=UTOPRSA00001', '--expires=301231', `--sign-with=${key}`, '--scheme=RSA_PSS_SHA_256', '--read-dg1']);
    made(['--role=dv_domestic', '--chr=UTOPRSADV0001', '--expires=291231', `--sign-with=${key}`, '--sign-as=UTOPRSA00001.cvcert', '--scheme=RSA_v1_5_SHA_256', '--read-dg1']);
    const root = readFileSync(join(dir, 'UTOPRSA00001.cvcert'));
    const dvCert = readFileSync(join(dir, 'UTOPRSADV0001.cvcert'));
    const damaged = Uint8Array.from(dvCert);
    damaged[damaged.length - 3]! ^= 0x40;
    assert.throws(() => importCvcCertificates(custos.journal, 'dv.cvcert', Buffer.concat([root, damaged])), (e) => isCustosError(e) && e.code === 'CVC_SIGNATURE_INVALID');
    const imported = importCvcCertificates(custos.journal, 'chain.cvcert', Buffer.concat([root, dvCert]));
    assert.deepEqual(imported.map((c) => c.chr), ['UTOPRSA00001', 'UTOPRSADV0001']);
    assert.equal(decodeCvCertificate(imported[0]!.raw).body.publicKey.oid, CVC_OID['id-TA-RSA-PSS-SHA-256']);
    assert.equal(imported[1]!.issuerId, imported[0]!.id);
  });

  it('refuses an RSA key named with an ECDSA OID (CVC_KEY_OID_MISMATCH), before the token is asked', async () => {
    const key = await custos.generateKey(tokenId, { kind: 'rsa', bits: 2048 }, 'cvca-wrong-oid');
    const code = await codeOf(initCvca(custos.ctx, { tokenId, keySpkiSha256: key.spkiSha256, chr: 'UTRSACA00009', algorithm: 'id-TA-ECDSA-SHA-256' }));
    assert.equal(code, 'CVC_KEY_OID_MISMATCH');
  });
});
