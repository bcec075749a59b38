/**
 * The CRL lint reads the exact TBS bytes back and refuses what RFC 5280 §5
 * forbids: each case is a body Custos' encoder built for an OpenSSL root,
 * then changed in one respect the way a faulty encoder or a wrong plan would.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { CRLReason, CRLReasons, Extension, TBSCertList, Time } from '@peculiar/asn1-x509';
import { buildCrlTbs, type CrlTbsParams } from '../../../../main/pki/x509/crl.ts';
import { algorithmIdentifierFor, signAlgorithmFor } from '../../../../main/pki/x509/algorithms.ts';
import { assertCrlLintClean, lintCrlTbs } from '../../../../main/pki/x509/crl-lint.ts';
import { isCustosError } from '../../../../main/errors/index.ts';

const DAY_MS = 86_400_000;
let dir: string;
let rootDer: Uint8Array;
let otherDer: Uint8Array;

function caCert(name: string, days: number): Uint8Array {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.der`, '-outform', 'DER',
    '-subj', `/C=DE/O=Custos Test/CN=${name}`, '-days', String(days), '-addext', 'basicConstraints=critical,CA:true', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
  { cwd: dir, stdio: 'ignore' });
  return new Uint8Array(readFileSync(join(dir, `${name}.der`)));
}

function tbs(overrides: Partial<CrlTbsParams> = {}): Uint8Array {
  const thisUpdate = new Date(Date.now() - 1000);
  return buildCrlTbs({
    issuerCertDer: rootDer,
    entries: [
      { serialHex: '0a1b2c', revocationDate: new Date(thisUpdate.getTime() - DAY_MS), reason: 'keyCompromise' },
      { serialHex: '0d0e0f', revocationDate: new Date(thisUpdate.getTime() - 2 * DAY_MS) },
    ],
    crlNumber: 7n,
    thisUpdate,
    nextUpdate: new Date(thisUpdate.getTime() + 30 * DAY_MS),
    algorithm: algorithmIdentifierFor(signAlgorithmFor({ kind: 'ec', curve: 'P-256' })),
    ...overrides,
  });
}

/** The body read, changed, and written again: what a faulty encoder would have produced. */
function changed(der: Uint8Array, change: (t: TBSCertList) => void): Uint8Array {
  const t = AsnConvert.parse(der, TBSCertList);
  change(t);
  return new Uint8Array(AsnConvert.serialize(t));
}

const codes = (der: Uint8Array, issuer = rootDer): string[] => lintCrlTbs(der, { certDer: issuer }).map((f) => f.code);

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'custos-crl-lint-'));
  rootDer = caCert('Lint Root', 3650);
  otherDer = caCert('Other Root', 3650);
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe('the CRL lint', () => {
  it('finds nothing in a CRL body as Custos builds it, with a reason code and entries before thisUpdate', () => {
    assert.deepEqual(codes(tbs()), []);
    assertCrlLintClean(tbs(), { certDer: rootDer });
  });

  it('refuses a CRL whose issuer is not the CA whose key would sign it: the name and the authority key identifier', () => {
    assert.deepEqual(codes(tbs(), otherDer), ['crl.issuer.name', 'crl.aki.mismatch']);
  });

  it('refuses a nextUpdate after the CA\'s certificate ends, and one not after thisUpdate', () => {
    assert.deepEqual(codes(changed(tbs(), (t) => { t.nextUpdate = new Time(new Date(Date.now() + 4000 * DAY_MS)); })), ['crl.next-update.after-issuer']);
    assert.deepEqual(codes(changed(tbs(), (t) => { t.nextUpdate = t.thisUpdate; })), ['crl.next-update.order']);
  });

  it('refuses a CRL with no CRL number, or with an unknown critical extension', () => {
    assert.deepEqual(codes(changed(tbs(), (t) => { t.crlExtensions = t.crlExtensions!.filter((e) => e.extnID !== '2.5.29.20'); })), ['crl.number.missing']);
    const unknown = new Extension({ extnID: '1.3.6.1.4.1.99999.1', critical: true, extnValue: new OctetString(new Uint8Array([0x05, 0x00])) });
    assert.deepEqual(codes(changed(tbs(), (t) => { t.crlExtensions!.push(unknown); })), ['crl.extension.unknown-critical']);
  });

  it('refuses a serial listed twice, a revocation after thisUpdate, and the reason code RFC 5280 leaves unused', () => {
    assert.deepEqual(codes(changed(tbs(), (t) => { t.revokedCertificates!.push(t.revokedCertificates![0]!); })), ['crl.entry.duplicate']);
    assert.deepEqual(codes(changed(tbs(), (t) => { t.revokedCertificates![1]!.revocationDate = new Time(new Date(Date.now() + DAY_MS)); })), ['crl.entry.future']);
    const unused = new CRLReason(7 as CRLReasons);
    assert.deepEqual(codes(changed(tbs(), (t) => {
      t.revokedCertificates![0]!.crlEntryExtensions = [new Extension({ extnID: '2.5.29.21', critical: false, extnValue: new OctetString(AsnConvert.serialize(unused)) })];
    })), ['crl.entry.reason.invalid']);
  });

  it('refuses a version 1 CRL, and says so for bytes that are no CRL body at all', () => {
    assert.deepEqual(codes(changed(tbs(), (t) => { t.version = undefined; })), ['crl.version']);
    assert.deepEqual(codes(new Uint8Array([0x30, 0x03, 0x02, 0x01])), ['crl.malformed']);
  });

  it('throws LINT_FAILED naming each finding before anything is signed', () => {
    assert.throws(() => assertCrlLintClean(tbs(), { certDer: otherDer }), (e: unknown) => isCustosError(e) && e.code === 'LINT_FAILED' && /issuer name/.test(e.message));
  });
});
