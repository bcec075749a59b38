import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, TBSCertificate } from '@peculiar/asn1-x509';
import { algorithmIdentifierFor, signAlgorithmFor } from '../../../../main/pki/x509/algorithms.ts';
import { planIssuedCertificate, signTbs } from '../../../../main/pki/x509/issue.ts';
import { parseCsrFile } from '../../../../main/pki/x509/csr.ts';
import { readIssuer } from '../../../../main/pki/x509/issuer.ts';
import { nameFromAttributes } from '../../../../main/pki/x509/names.ts';
import { customizeProfile, loadProfile } from '../../../../main/pki/x509/profiles.ts';
import { newSerial } from '../../../../main/pki/x509/serial.ts';
import { buildTbs, validityFor } from '../../../../main/pki/x509/tbs.ts';
import { runTool } from '../../../support/openssl.ts';
import { softSigner } from '../../../support/soft-signer.ts';
import { makeRoot, type TestCa } from './chain.ts';
import { opensslRequest } from './requests.ts';

const DAY_MS = 86_400_000;
const now = new Date('2030-03-01T12:00:00.250Z');

function refuses(run: () => unknown, code: string): void {
  assert.throws(run, (e: unknown) => (e as { code: string }).code === code);
}

describe('validityFor', () => {
  const tls = loadProfile('tls-server');

  it('starts now in whole seconds and ends one second before the N-th day is over', () => {
    const v = validityFor(tls, undefined, undefined, now);
    assert.equal(v.notBefore.toISOString(), '2030-03-01T12:00:00.000Z');
    assert.equal(v.days, tls.validity.defaultDays);
    assert.equal(v.notAfter.getTime() - v.notBefore.getTime(), tls.validity.defaultDays * DAY_MS - 1000);
  });

  it('VALIDITY_INVALID past the profile maximum, or for a non-whole or non-positive number of days', () => {
    refuses(() => validityFor(tls, tls.validity.maxDays + 1, undefined, now), 'VALIDITY_INVALID');
    refuses(() => validityFor(loadProfile('root-ca'), 9132, undefined, now), 'VALIDITY_INVALID');
    refuses(() => validityFor(tls, 0, undefined, now), 'VALIDITY_INVALID');
    refuses(() => validityFor(tls, 1.5, undefined, now), 'VALIDITY_INVALID');
    assert.equal(validityFor(tls, tls.validity.maxDays, undefined, now).days, 398);
  });

  it('VALIDITY_EXCEEDS_ISSUER past the issuer\u2019s notAfter, and accepts a period ending exactly on it', () => {
    const issuerNotAfter = new Date(now.getTime() - 250 + 10 * DAY_MS - 1000);
    refuses(() => validityFor(tls, 11, issuerNotAfter, now), 'VALIDITY_EXCEEDS_ISSUER');
    assert.equal(validityFor(tls, 10, issuerNotAfter, now).notAfter.getTime(), issuerNotAfter.getTime());
  });
});

describe('buildTbs', () => {
  let root: TestCa;
  before(async () => { root = await makeRoot({ kind: 'ec', curve: 'P-384' }, new Date(Date.UTC(2026, 0, 1))); });

  const base = (subjectSpki: Uint8Array, dates: { notBefore: Date; notAfter: Date }) => ({
    profile: loadProfile('tls-server'), subject: nameFromAttributes([{ type: 'CN', value: 'time.example.test' }]), subjectSpki,
    issuer: 'self' as const, serialHex: '01', signatureAlgorithm: algorithmIdentifierFor(signAlgorithmFor({ kind: 'ec', curve: 'P-256' })), ...dates,
  });

  it('writes UTCTime through 2049 and GeneralizedTime from 2050 (RFC 5280 §4.1.2.5)', () => {
    const key = softSigner({ kind: 'ec', curve: 'P-256' });
    const { der } = buildTbs(base(key.spki, { notBefore: new Date(Date.UTC(2049, 11, 31, 23, 59, 59)), notAfter: new Date(Date.UTC(2050, 0, 1)) }));
    const read = AsnConvert.parse(der, TBSCertificate);
    assert.ok(read.validity.notBefore.utcTime && !read.validity.notBefore.generalTime);
    assert.ok(read.validity.notAfter.generalTime && !read.validity.notAfter.utcTime);
    assert.equal(read.validity.notAfter.getTime().toISOString(), '2050-01-01T00:00:00.000Z');
  });

  it('derives the subjectKeyIdentifier as SHA-1 of the public key bits (RFC 5280 §4.2.1.2 method 1)', () => {
    const key = softSigner({ kind: 'ec', curve: 'P-256' });
    const jwk = createPublicKey(key.privateKey).export({ format: 'jwk' });
    const point = Buffer.concat([Buffer.of(4), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
    const { tbs } = buildTbs(base(key.spki, { notBefore: now, notAfter: new Date(now.getTime() + DAY_MS) }));
    const ski = tbs.extensions!.find((e) => e.extnID === '2.5.29.14')!;
    assert.equal(Buffer.from(ski.extnValue.buffer).subarray(2).toString('hex'), createHash('sha1').update(point).digest('hex'));
  });

  it('leaves keyEncipherment out for an EC subject key and keeps it for RSA', () => {
    const usages = (spki: Uint8Array): string => {
      const { tbs } = buildTbs(base(spki, { notBefore: now, notAfter: new Date(now.getTime() + DAY_MS) }));
      return Buffer.from(tbs.extensions!.find((e) => e.extnID === '2.5.29.15')!.extnValue.buffer).toString('hex');
    };
    assert.equal(usages(softSigner({ kind: 'ec', curve: 'P-256' }).spki), '03020780');
    assert.equal(usages(softSigner({ kind: 'rsa', bits: 2048 }).spki), '030205a0');
  });

  it('writes a subordinate\u2019s pathLen and name constraints as openssl reads them', async () => {
    const profile = customizeProfile(loadProfile('subordinate-ca'), {
      nameConstraints: { critical: true, permitted: { dns: ['example.test'], ip: ['10.0.0.0/8'], email: ['example.test'] }, excluded: { dns: ['bad.example.test'] } },
      crlDistributionPoints: ['http://pki.example.test/root.crl'],
      authorityInfoAccess: { ocsp: ['http://ocsp.example.test/'], caIssuers: ['http://pki.example.test/root.cer'] },
      certificatePolicies: ['2.23.140.1.2.1'],
    });
    const request = await opensslRequest('P-256', '/CN=Constrained CA');
    const [csr] = parseCsrFile(request.der);
    const plan = planIssuedCertificate({ profile, csr: csr!, issuerCertDer: root.certDer, issuerSpki: root.signer.spki, serial: newSerial(() => false), now: new Date(), pathLen: 0, validityDays: 365 });
    const der = await signTbs(plan.linted, root.signer, plan.algorithm);
    const text = (await runTool('openssl', ['x509', '-inform', 'DER', '-in', 'c.der', '-noout', '-text'], { files: { 'c.der': der } })).stdout;
    assert.match(text, /X509v3 Name Constraints: critical\s+Permitted:\s+DNS:example\.test\s+email:example\.test\s+IP:10\.0\.0\.0\/255\.0\.0\.0\s+Excluded:\s+DNS:bad\.example\.test/);
    assert.match(text, /CA:TRUE, pathlen:0/);
    assert.match(text, /OCSP - URI:http:\/\/ocsp\.example\.test\//);
    assert.match(text, /Policy: 2\.23\.140\.1\.2\.1/);
    assert.equal(readIssuer(der).pathLenConstraint, 0);
  });

  it('joins its parts into exactly the bytes the ASN.1 library encodes for the same TBSCertificate and Certificate', async () => {
    const profile = customizeProfile(loadProfile('subordinate-ca'), {
      nameConstraints: { critical: true, permitted: { dns: ['example.test'] } },
      crlDistributionPoints: ['http://pki.example.test/root.crl'],
      authorityInfoAccess: { ocsp: ['http://ocsp.example.test/'] },
      certificatePolicies: ['2.23.140.1.2.1'],
    });
    const leafRequest = await opensslRequest('rsa:2048', '/C=XX/O=Join/CN=joined.example.test', ['subjectAltName=DNS:joined.example.test,IP:192.0.2.7']);
    const caRequest = await opensslRequest('P-384', '/CN=Joined CA');
    const cases = [
      { profile: loadProfile('tls-server'), der: leafRequest.der, pathLen: undefined },
      { profile, der: caRequest.der, pathLen: 0 },
    ];
    for (const c of cases) {
      const [csr] = parseCsrFile(c.der);
      // Twice: the second certificate is joined from the profile's cached extensions.
      for (let round = 0; round < 2; round++) {
        const plan = planIssuedCertificate({ profile: c.profile, csr: csr!, issuerCertDer: root.certDer, issuerSpki: root.signer.spki, serial: newSerial(() => false), now: new Date(), validityDays: 30, ...(c.pathLen === undefined ? {} : { pathLen: c.pathLen }) });
        assert.deepEqual(Buffer.from(plan.tbsDer), Buffer.from(AsnConvert.serialize(plan.linted.tbs)), `${c.profile.id}: TBS round ${round}`);
        const certDer = await signTbs(plan.linted, root.signer, plan.algorithm);
        const cert = AsnConvert.parse(certDer, Certificate);
        assert.deepEqual(Buffer.from(certDer), Buffer.from(AsnConvert.serialize(cert)), `${c.profile.id}: certificate round ${round}`);
        assert.deepEqual(Buffer.from(AsnConvert.serialize(cert.tbsCertificate)), Buffer.from(plan.tbsDer));
      }
    }
  });
});
