import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1js from 'asn1js';
import { Certificate, CertificateList } from '@peculiar/asn1-x509';
import { buildCrlTbs, crlNextUpdate, parseCrl, signCrl, CRL_NEXT_UPDATE_DAYS, type CrlTbsParams } from '../../../../main/pki/x509/crl.ts';
import { algorithmIdentifierFor, signAlgorithmFor } from '../../../../main/pki/x509/algorithms.ts';
import { toPem } from '../../../../main/pki/formats/pem.ts';
import type { RevokedEntry } from '../../../../main/pki/x509/revocation.ts';
import type { Signer } from '../../../../main/hsm/token.ts';
import { softSignerFromPrivateKey } from '../../../support/crl-signer.ts';

const DAY_MS = 86_400_000;
const IDP_URI = 'http://pki.example.test/root.crl';

function run(cmd: string, args: readonly string[], cwd: string): { status: number; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

function openssl(cwd: string, ...args: string[]): string {
  return execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 << 20 });
}

let dir: string;
let rootDer: Uint8Array;
let signer: Signer;
let revokedSerial: string;
let goodSerial: string;

function serialOf(cwd: string, pem: string): string {
  return openssl(cwd, 'x509', '-in', pem, '-noout', '-serial').trim().replace(/^serial=/, '').toLowerCase();
}

function params(overrides: Partial<CrlTbsParams> = {}): CrlTbsParams {
  const thisUpdate = new Date();
  return {
    issuerCertDer: rootDer,
    entries: [],
    crlNumber: 1n,
    thisUpdate,
    nextUpdate: new Date(thisUpdate.getTime() + 7 * DAY_MS),
    algorithm: algorithmIdentifierFor(signAlgorithmFor(signer.spec)),
    ...overrides,
  };
}

async function signedCrl(overrides: Partial<CrlTbsParams> = {}): Promise<Uint8Array> {
  return signCrl(buildCrlTbs(params(overrides)), signer, signAlgorithmFor(signer.spec));
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'custos-crl-'));
  openssl(dir, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'root.key', '-out', 'root.pem',
    '-subj', '/C=DE/O=Custos Test/CN=Test Root CA', '-days', '3650', '-utf8',
    '-addext', 'basicConstraints=critical,CA:true', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  openssl(dir, 'x509', '-in', 'root.pem', '-outform', 'DER', '-out', 'root.der');
  // The leaves name the CRL's IDP as their distribution point, else OpenSSL finds the CRL out of scope.
  writeFileSync(join(dir, 'leaf.ext'), `crlDistributionPoints=URI:${IDP_URI}\n`);
  for (const leaf of ['revoked', 'good']) {
    openssl(dir, 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${leaf}.key`, '-out', `${leaf}.csr`, '-subj', `/CN=${leaf} leaf`);
    openssl(dir, 'x509', '-req', '-in', `${leaf}.csr`, '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-days', '30', '-extfile', 'leaf.ext', '-out', `${leaf}.pem`);
  }
  rootDer = new Uint8Array(readFileSync(join(dir, 'root.der')));
  signer = softSignerFromPrivateKey(readFileSync(join(dir, 'root.key')));
  revokedSerial = serialOf(dir, 'revoked.pem');
  goodSerial = serialOf(dir, 'good.pem');
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe('CRL with three revoked certificates', () => {
  const revocationDate = new Date(Date.UTC(2026, 10, 20, 8, 30, 0));
  const invalidityDate = new Date(Date.UTC(2026, 10, 18, 12, 0, 0));
  let der: Uint8Array;

  before(async () => {
    const entries: RevokedEntry[] = [
      { serialHex: revokedSerial, revocationDate, reason: 'keyCompromise', invalidityDate },
      { serialHex: '0a0b0c', revocationDate, reason: 'superseded' },
      { serialHex: '01', revocationDate, reason: 'unspecified' },
    ];
    der = await signedCrl({ entries, crlNumber: 7n, issuingDistributionPoint: { uri: IDP_URI } });
    writeFileSync(join(dir, 'three.crl'), der);
    writeFileSync(join(dir, 'three.crl.pem'), toPem(der, 'X509 CRL'));
  });

  it('is read by openssl crl in DER with its reasons, invalidity date, CRL number and IDP, and its signature verifies', () => {
    const text = openssl(dir, 'crl', '-inform', 'DER', '-in', 'three.crl', '-noout', '-text');
    assert.match(text, /Version 2 \(0x1\)/);
    assert.match(text, /Issuer: C ?= ?DE, O ?= ?Custos Test, CN ?= ?Test Root CA/);
    assert.match(text, /X509v3 CRL Number: \n\s+7\n/);
    assert.match(text, /X509v3 Issuing Distribution Point: critical\n\s+Full Name:\n\s+URI:http:\/\/pki\.example\.test\/root\.crl/);
    assert.match(text, /X509v3 Authority Key Identifier/);
    assert.equal(text.match(/Serial Number:/g)?.length, 3);
    assert.match(text, new RegExp(`Serial Number: ${revokedSerial.toUpperCase()}\\n\\s+Revocation Date: Nov 20 08:30:00 2026 GMT\\n\\s+CRL entry extensions:\\n\\s+X509v3 CRL Reason Code: \\n\\s+Key Compromise\\n\\s+Invalidity Date: \\n\\s+Nov 18 12:00:00 2026 GMT`));
    assert.match(text, /Serial Number: 0A0B0C\n\s+Revocation Date: [^\n]+\n\s+CRL entry extensions:\n\s+X509v3 CRL Reason Code: \n\s+Superseded/);
    // unspecified is not written (RFC 5280 §5.3.1), so serial 01 has no entry extensions.
    assert.match(text, /Serial Number: 01\n\s+Revocation Date: [^\n]+\n\s+(Serial Number|Signature Algorithm)/);
    assert.match(run('openssl', ['crl', '-inform', 'DER', '-in', 'three.crl', '-noout', '-verify', '-CAfile', 'root.pem'], dir).out, /verify OK/);
  });

  it('fails openssl crl -verify once one byte of its entries is altered', () => {
    const altered = Buffer.from(der);
    const at = altered.indexOf(Buffer.from('0a0b0c', 'hex'));
    altered[at + 2] = altered[at + 2]! ^ 0x01;
    writeFileSync(join(dir, 'altered.crl'), altered);
    const r = run('openssl', ['crl', '-inform', 'DER', '-in', 'altered.crl', '-noout', '-verify', '-CAfile', 'root.pem'], dir);
    assert.match(r.out, /verify failure/);
  });

  it('lists entries in ascending serial order, as OpenSSL does', () => {
    const serials = parseCrl(der).entries.map((e) => BigInt(`0x${e.serialHex}`));
    assert.deepEqual(serials, [...serials].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  });

  it('is read by openssl crl in PEM', () => {
    const text = openssl(dir, 'crl', '-in', 'three.crl.pem', '-noout', '-text');
    assert.equal(text.match(/Serial Number:/g)?.length, 3);
    assert.match(run('openssl', ['crl', '-in', 'three.crl.pem', '-noout', '-verify', '-CAfile', 'root.pem'], dir).out, /verify OK/);
  });

  it('is read by GnuTLS certtool', () => {
    const text = execFileSync('certtool', ['--crl-info', '--inder', '--infile', 'three.crl'], { cwd: dir, encoding: 'utf8' });
    assert.match(text, /Revoked certificates \(3\)/);
    assert.match(text, /CRL Number \(not critical\): 07\n/);
    assert.match(text, /Test Root CA/);
    const verify = run('certtool', ['--verify-crl', '--load-ca-certificate', 'root.pem', '--infile', 'three.crl.pem'], dir);
    assert.match(verify.out, /Verification output: Verified/);
  });

  it('makes openssl verify -crl_check refuse the revoked leaf and pass the other', () => {
    const revoked = run('openssl', ['verify', '-crl_check', '-CAfile', 'root.pem', '-CRLfile', 'three.crl.pem', 'revoked.pem'], dir);
    assert.notEqual(revoked.status, 0);
    assert.match(revoked.out, /certificate revoked/);
    const good = run('openssl', ['verify', '-crl_check', '-CAfile', 'root.pem', '-CRLfile', 'three.crl.pem', 'good.pem'], dir);
    assert.equal(good.status, 0, good.out);
    assert.match(good.out, /good\.pem: OK/);
  });

  it('carries the issuer Name byte for byte as the CA certificate\'s subject', () => {
    const crl = AsnConvert.parse(der, CertificateList);
    const root = AsnConvert.parse(rootDer, Certificate);
    assert.deepEqual(Buffer.from(AsnConvert.serialize(crl.tbsCertList.issuer)), Buffer.from(AsnConvert.serialize(root.tbsCertificate.subject)));
    assert.equal(parseCrl(der).issuer, 'C=DE, O=Custos Test, CN=Test Root CA');
  });

  it('reads back with parseCrl: number, dates, reasons and IDP', () => {
    const p = parseCrl(der);
    assert.equal(p.crlNumber, 7n);
    assert.equal(p.entryCount, 3);
    assert.equal(p.entriesTruncated, false);
    assert.deepEqual(p.issuingDistributionPointUris, ['http://pki.example.test/root.crl']);
    const revoked = p.entries.find((e) => e.serialHex === revokedSerial.replace(/^(00)+(?=..)/, ''));
    assert.equal(revoked?.reason, 'keyCompromise');
    assert.equal(revoked?.invalidityDate?.toISOString(), invalidityDate.toISOString());
    assert.equal(p.entries.find((e) => e.serialHex === '01')?.reason, undefined);
  });
});

describe('CRL extensions and fields', () => {
  it('writes no IDP when none is asked for, and a large CRL number exactly', async () => {
    const number = (1n << 150n) + 12345n;
    const der = await signedCrl({ crlNumber: number });
    const p = parseCrl(der);
    assert.equal(p.crlNumber, number);
    assert.deepEqual(p.issuingDistributionPointUris, []);
    writeFileSync(join(dir, 'nums.crl'), der);
    const text = openssl(dir, 'crl', '-inform', 'DER', '-in', 'nums.crl', '-noout', '-text');
    assert.doesNotMatch(text, /Issuing Distribution Point/);
    assert.match(text, /No Revoked Certificates/);
    assert.match(text, new RegExp(`CRL Number: \\n\\s+0x${number.toString(16).toUpperCase()}`));
  });

  it('writes the IDP URI verbatim and refuses one that is not an ASCII URI', async () => {
    const uri = 'HTTP://PKI.Example.TEST:80/a/../Root%20CA.crl';
    assert.deepEqual(parseCrl(await signedCrl({ issuingDistributionPoint: { uri } })).issuingDistributionPointUris, [uri]);
    for (const bad of ['not a uri', 'http://bücher.example/x.crl', '']) {
      assert.throws(() => buildCrlTbs(params({ issuingDistributionPoint: { uri: bad } })), { code: 'INPUT_INVALID' }, bad);
    }
  });

  it('refuses a CRL number over 20 octets and a negative one', () => {
    assert.throws(() => buildCrlTbs(params({ crlNumber: 1n << 160n })), { code: 'INPUT_INVALID' });
    assert.throws(() => buildCrlTbs(params({ crlNumber: -1n })), { code: 'INPUT_INVALID' });
  });

  it('writes thisUpdate as UTCTime through 2049 and nextUpdate as GeneralizedTime from 2050', () => {
    const longRoot = join(dir, 'long');
    openssl(dir, 'req', '-x509', '-key', 'root.key', '-out', 'long.pem', '-subj', '/CN=Long Root', '-days', '15000',
      '-addext', 'basicConstraints=critical,CA:true', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    openssl(dir, 'x509', '-in', 'long.pem', '-outform', 'DER', '-out', 'long.der');
    const tbs = buildCrlTbs(params({
      issuerCertDer: new Uint8Array(readFileSync(`${longRoot}.der`)),
      thisUpdate: new Date(Date.UTC(2049, 11, 31, 23, 59, 59)),
      nextUpdate: new Date(Date.UTC(2050, 0, 1, 0, 0, 0)),
    }));
    const hex = Buffer.from(tbs).toString('hex');
    assert.ok(hex.includes(`170d${Buffer.from('491231235959Z').toString('hex')}`));
    assert.ok(hex.includes(`180f${Buffer.from('20500101000000Z').toString('hex')}`));
  });

  it('signs with RSA PKCS#1 and RSA-PSS keys, verified by OpenSSL', async () => {
    openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'rsa.key', '-out', 'rsa.pem', '-subj', '/CN=RSA Root', '-days', '365',
      '-addext', 'basicConstraints=critical,CA:true', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    openssl(dir, 'x509', '-in', 'rsa.pem', '-outform', 'DER', '-out', 'rsa.der');
    const rsa = softSignerFromPrivateKey(readFileSync(join(dir, 'rsa.key')));
    for (const choice of ['pkcs1', 'pss'] as const) {
      const algorithm = signAlgorithmFor(rsa.spec, 'SHA-256', choice);
      const tbs = buildCrlTbs(params({ issuerCertDer: new Uint8Array(readFileSync(join(dir, 'rsa.der'))), algorithm: algorithmIdentifierFor(algorithm), entries: [{ serialHex: '1234', revocationDate: new Date() }] }));
      writeFileSync(join(dir, `rsa-${choice}.crl`), await signCrl(tbs, rsa, algorithm));
      assert.match(run('openssl', ['crl', '-inform', 'DER', '-in', `rsa-${choice}.crl`, '-noout', '-verify', '-CAfile', 'rsa.pem'], dir).out, /verify OK/, choice);
    }
  });

  it('refuses to sign a TBS that names another algorithm than the token is asked to use', async () => {
    const tbs = buildCrlTbs(params());
    await assert.rejects(signCrl(tbs, signer, { scheme: 'ecdsa', hash: 'SHA-384' }), { code: 'CRL_INVALID' });
  });

  it('refuses a signature that does not verify with the signer\'s key', async () => {
    const liar: Signer = { ...signer, sign: async (m, a) => { const s = await signer.sign(m, a); s[s.length - 1]! ^= 1; return s; } };
    await assert.rejects(signCrl(buildCrlTbs(params()), liar, signAlgorithmFor(signer.spec)), { code: 'SIGNATURE_VERIFY_FAILED' });
  });

  it('refuses an issuer whose keyUsage lacks cRLSign', () => {
    openssl(dir, 'req', '-x509', '-key', 'root.key', '-out', 'nocrl.pem', '-subj', '/CN=No CRL', '-days', '365',
      '-addext', 'basicConstraints=critical,CA:true', '-addext', 'keyUsage=critical,keyCertSign');
    openssl(dir, 'x509', '-in', 'nocrl.pem', '-outform', 'DER', '-out', 'nocrl.der');
    assert.throws(() => buildCrlTbs(params({ issuerCertDer: new Uint8Array(readFileSync(join(dir, 'nocrl.der'))) })), { code: 'INPUT_INVALID', message: /cRLSign/ });
  });

  it('refuses a serial listed twice and removeFromCRL in a full CRL', () => {
    const revocationDate = new Date();
    assert.throws(() => buildCrlTbs(params({ entries: [{ serialHex: '0abc', revocationDate }, { serialHex: 'ABC', revocationDate }] })), { code: 'INPUT_INVALID', message: /listed twice/ });
    assert.throws(() => buildCrlTbs(params({ entries: [{ serialHex: '01', revocationDate, reason: 'removeFromCRL' }] })), { code: 'INPUT_INVALID', message: /delta/ });
  });
});

describe('parseCrl on bad input', () => {
  it('refuses garbage, a certificate, a truncated CRL and trailing bytes with CRL_INVALID', async () => {
    const der = await signedCrl({ entries: [{ serialHex: '01', revocationDate: new Date() }] });
    assert.throws(() => parseCrl(Uint8Array.of(1, 2, 3)), { code: 'CRL_INVALID' });
    assert.throws(() => parseCrl(rootDer), { code: 'CRL_INVALID' });
    assert.throws(() => parseCrl(der.subarray(0, der.length - 5)), { code: 'CRL_INVALID' });
    assert.throws(() => parseCrl(Buffer.concat([der, Uint8Array.of(0)])), { code: 'CRL_INVALID' });
  });

  it('refuses BER inside a part the entry walk does not read (an RDN of the issuer with an indefinite length)', async () => {
    const der = await signedCrl({ entries: [{ serialHex: '01', revocationDate: new Date() }] });
    assert.equal(parseCrl(der).entryCount, 1);
    // CertificateList > tbsCertList > issuer (after version and signature) > first RDN.
    const tree = asn1js.fromBER(der).result as asn1js.Sequence;
    const tbs = tree.valueBlock.value[0] as asn1js.Sequence;
    const issuer = tbs.valueBlock.value[2] as asn1js.Sequence;
    issuer.valueBlock.value[0]!.lenBlock.isIndefiniteForm = true;
    const ber = new Uint8Array(tree.toBER());
    assert.throws(() => parseCrl(ber), (e: unknown) => (e as { code?: string }).code === 'CRL_INVALID' && /not DER: it has an indefinite length/.test((e as Error).message));
  });
});

describe('nextUpdate and the issuer\'s notAfter', () => {
  const thisUpdate = new Date(Date.UTC(2030, 0, 1));

  it('adds CRL_NEXT_UPDATE_DAYS when the issuer outlives it', () => {
    const r = crlNextUpdate(thisUpdate, undefined, new Date(Date.UTC(2040, 0, 1)));
    assert.equal(r.nextUpdate.getTime(), thisUpdate.getTime() + CRL_NEXT_UPDATE_DAYS * DAY_MS);
    assert.equal(r.clipped, false);
  });

  it('clips to the issuer\'s notAfter and says so', () => {
    const notAfter = new Date(Date.UTC(2030, 2, 1, 12, 0, 0));
    const r = crlNextUpdate(thisUpdate, 365, notAfter);
    assert.equal(r.nextUpdate.toISOString(), notAfter.toISOString());
    assert.equal(r.clipped, true);
  });

  it('refuses when the issuer has expired by thisUpdate', () => {
    assert.throws(() => crlNextUpdate(thisUpdate, 30, new Date(Date.UTC(2029, 11, 31))), { code: 'VALIDITY_EXCEEDS_ISSUER' });
  });

  it('makes buildCrlTbs refuse a nextUpdate past the issuer\'s notAfter, and accept the clipped one', async () => {
    const root = AsnConvert.parse(rootDer, Certificate);
    const notAfter = root.tbsCertificate.validity.notAfter.getTime();
    const now = new Date();
    assert.throws(() => buildCrlTbs(params({ thisUpdate: now, nextUpdate: new Date(notAfter.getTime() + 1000) })), { code: 'VALIDITY_EXCEEDS_ISSUER' });
    const { nextUpdate, clipped } = crlNextUpdate(now, 20 * 365, notAfter);
    assert.equal(clipped, true);
    assert.equal(parseCrl(await signedCrl({ thisUpdate: now, nextUpdate })).nextUpdate?.toISOString(), notAfter.toISOString());
  });

  it('refuses a nextUpdate not after thisUpdate', () => {
    const now = new Date();
    assert.throws(() => buildCrlTbs(params({ thisUpdate: now, nextUpdate: now })), { code: 'VALIDITY_INVALID' });
  });
});

describe('CRL with 100,000 entries', () => {
  it('is parsed by OpenSSL with every entry counted', async () => {
    const revocationDate = new Date(Date.UTC(2026, 0, 1));
    const reasons = ['keyCompromise', 'superseded', 'cessationOfOperation', undefined] as const;
    const entries: RevokedEntry[] = Array.from({ length: 100_000 }, (_, i) => ({
      serialHex: (BigInt(i + 1) * 0x9e3779b97f4a7c15n).toString(16),
      revocationDate,
      reason: reasons[i % reasons.length],
    }));
    const der = await signedCrl({ entries, crlNumber: 100n });
    writeFileSync(join(dir, 'big.crl'), der);
    const text = openssl(dir, 'crl', '-inform', 'DER', '-in', 'big.crl', '-noout', '-text');
    assert.equal(text.match(/Serial Number:/g)?.length, 100_000);
    assert.equal(text.match(/Key Compromise/g)?.length, 25_000);
    assert.match(run('openssl', ['crl', '-inform', 'DER', '-in', 'big.crl', '-noout', '-verify', '-CAfile', 'root.pem'], dir).out, /verify OK/);
    const p = parseCrl(der, { maxEntries: 10 });
    assert.equal(p.entryCount, 100_000);
    assert.equal(p.entries.length, 10);
    assert.equal(p.entriesTruncated, true);
  });
});

describe('CRL entries beside OpenSSL\'s', () => {
  /** The raw revokedCertificates SEQUENCE of a DER CRL, as asn1js finds it: the SEQUENCE after the update times. */
  function revokedCertificatesDer(der: Uint8Array): Buffer {
    const crl = asn1js.fromBER(der.buffer.slice(der.byteOffset, der.byteOffset + der.byteLength) as ArrayBuffer);
    const tbs = (crl.result as asn1js.Sequence).valueBlock.value[0] as asn1js.Sequence;
    const fields = tbs.valueBlock.value;
    const list = fields.find((f, i) => f instanceof asn1js.Sequence && (fields[i - 1] instanceof asn1js.UTCTime || fields[i - 1] instanceof asn1js.GeneralizedTime));
    assert.ok(list, 'the CRL has a revokedCertificates list');
    return Buffer.from(list.valueBeforeDecodeView);
  }

  it('writes the revokedCertificates list byte for byte as openssl ca -gencrl does for the same index', async () => {
    // OpenSSL's index knows no privilegeWithdrawn or aACompromise; the writer test covers those against the ASN.1 library.
    // index.txt: status, expiry, revocation[,reason[,compromise time]], serial, file, subject (OpenSSL apps/ca.c).
    const reasons = ['', 'keyCompromise', 'CACompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'keyTime', 'CAkeyTime'];
    const ours: RevokedEntry[] = [];
    const lines: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const octets = 1 + (i % 20);
      const serial = Buffer.from(Array.from({ length: octets }, (_, k) => (i * 131 + k * 71 + (k === 0 ? 1 : 0)) & 0xff)).toString('hex').toUpperCase();
      const revocationDate = new Date(Date.UTC(1950 + (i % 100), i % 12, 1 + (i % 28), i % 24, i % 60, (i * 7) % 60));
      const invalidityDate = new Date(revocationDate.getTime() - 86_400_000 * (1 + (i % 30)));
      const reason = reasons[i % reasons.length]!;
      const utc = revocationDate.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
      const generalized = invalidityDate.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
      const revocation = reason === '' ? utc : reason.endsWith('keyTime') ? `${utc},${reason},${generalized}` : `${utc},${reason}`;
      lines.push(`R\t351231235959Z\t${revocation}\t${serial.length % 2 ? `0${serial}` : serial}\tunknown\t/CN=leaf ${i}`);
      const named = { '': undefined, keyTime: 'keyCompromise', CAkeyTime: 'cACompromise', CACompromise: 'cACompromise', AACompromise: 'aACompromise' } as Record<string, string | undefined>;
      ours.push({ serialHex: serial, revocationDate, reason: (reason in named ? named[reason] : reason) as RevokedEntry['reason'], ...(reason.endsWith('keyTime') ? { invalidityDate } : {}) });
    }
    // Serials from the pattern above may repeat; OpenSSL would list a repeat twice, so drop repeats from both.
    const seen = new Set<string>();
    const keep = ours.map((e) => { const k = BigInt(`0x${e.serialHex}`).toString(16); const fresh = !seen.has(k); seen.add(k); return fresh; });
    writeFileSync(join(dir, 'index.txt'), lines.filter((_, i) => keep[i]).join('\n') + '\n');
    writeFileSync(join(dir, 'index.txt.attr'), 'unique_subject = no\n');
    writeFileSync(join(dir, 'crlnumber'), '01\n');
    writeFileSync(join(dir, 'ca.cnf'), '[ca]\ndefault_ca = c\n[c]\ndatabase = index.txt\ncrlnumber = crlnumber\ndefault_md = sha256\ndefault_crl_days = 7\n');
    openssl(dir, 'ca', '-config', 'ca.cnf', '-gencrl', '-keyfile', 'root.key', '-cert', 'root.pem', '-out', 'openssl.crl.pem');
    const theirs = new Uint8Array(execFileSync('openssl', ['crl', '-in', 'openssl.crl.pem', '-outform', 'DER'], { cwd: dir }));
    const mine = await signedCrl({ entries: ours.filter((_, i) => keep[i]) });
    assert.ok(seen.size > 900);
    assert.equal(parseCrl(mine, { maxEntries: 0 }).entryCount, parseCrl(theirs, { maxEntries: 0 }).entryCount);
    assert.deepEqual(revokedCertificatesDer(mine), revokedCertificatesDer(theirs));
  });
});
