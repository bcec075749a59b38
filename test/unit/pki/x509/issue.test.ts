import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import type { KeySpec } from '../../../../main/hsm/token.ts';
import { requestForKey } from '../../../../main/ca/key-request.ts';
import { parseSubject } from '../../../../main/ca/subject.ts';
import { parseCsrFile, subjectKeyOf } from '../../../../main/pki/x509/csr.ts';
import { planIssuedCertificate, planRootCertificate, signTbs } from '../../../../main/pki/x509/issue.ts';
import { describeCertificate } from '../../../../main/pki/x509/preview.ts';
import { readCertificate } from '../../../../main/pki/x509/tbs-reader.ts';
import { customizeProfile, loadProfile } from '../../../../main/pki/x509/profiles.ts';
import { newSerial } from '../../../../main/pki/x509/serial.ts';
import { runTool } from '../../../support/openssl.ts';
import { softSigner, softSignerFromKey } from '../../../support/soft-signer.ts';
import { makeRoot, makeSubordinate, type TestCa } from './chain.ts';
import { opensslRequest, toPem, type RequestKey } from './requests.ts';

const rootProfile = customizeProfile(loadProfile('root-ca'), {
  crlDistributionPoints: ['http://pki.example.test/root.crl'],
  authorityInfoAccess: { caIssuers: ['http://pki.example.test/root.cer'] },
  certificatePolicies: ['1.3.6.1.4.1.55555.1.1'],
});

async function selfSignedRoot(spec: KeySpec): Promise<Uint8Array> {
  const signer = softSigner(spec);
  const plan = planRootCertificate({
    profile: rootProfile, subject: [{ type: 'C', value: 'DE' }, { type: 'O', value: 'Custos Test' }, { type: 'CN', value: `Root ${spec.kind}` }],
    signerSpki: signer.spki, spec, serial: newSerial(() => false), now: new Date(),
  });
  assert.deepEqual(plan.findings, []);
  return signTbs(plan.linted, signer, plan.algorithm);
}

describe('a self-signed root', () => {
  for (const spec of [{ kind: 'rsa', bits: 3072 }, { kind: 'ec', curve: 'P-384' }] as KeySpec[]) {
    const label = spec.kind === 'rsa' ? 'RSA-3072' : 'P-384';
    it(`${label}: openssl reads it in DER and PEM with the profile's extensions, and verifies it against itself`, async () => {
      const der = await selfSignedRoot(spec);
      const fromDer = await runTool('openssl', ['x509', '-inform', 'DER', '-in', 'root.der', '-text', '-noout'], { files: { 'root.der': der } });
      assert.equal(fromDer.code, 0, fromDer.stderr);
      const fromPem = await runTool('openssl', ['x509', '-in', 'root.pem', '-text', '-noout'], { files: { 'root.pem': toPem('CERTIFICATE', der) } });
      assert.equal(fromPem.code, 0, fromPem.stderr);
      assert.equal(fromPem.stdout, fromDer.stdout);
      const text = fromDer.stdout;
      assert.match(text, /Version: 3 \(0x2\)/);
      assert.match(text, /Issuer: C ?= ?DE, O ?= ?Custos Test, CN ?= ?Root/);
      assert.match(text, /X509v3 Basic Constraints: critical\s+CA:TRUE/);
      assert.match(text, /X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign/);
      assert.match(text, /X509v3 Subject Key Identifier/);
      assert.match(text, /URI:http:\/\/pki\.example\.test\/root\.crl/);
      assert.match(text, /CA Issuers - URI:http:\/\/pki\.example\.test\/root\.cer/);
      assert.match(text, /Policy: 1\.3\.6\.1\.4\.1\.55555\.1\.1/);
      assert.match(text, spec.kind === 'rsa' ? /Public-Key: \(3072 bit\)[\s\S]*sha384WithRSAEncryption/ : /NIST CURVE: P-384[\s\S]*ecdsa-with-SHA384/);
      const verified = await runTool('openssl', ['verify', '-CAfile', 'root.pem', 'root.pem'], { files: { 'root.pem': toPem('CERTIFICATE', der) } });
      assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    });

    it(`${label}: certtool reads it and shows it as a CA`, async () => {
      const der = await selfSignedRoot(spec);
      const shown = await runTool('certtool', ['-i', '--inder', '--infile', 'root.der'], { files: { 'root.der': der } });
      assert.equal(shown.code, 0, shown.stderr);
      assert.match(shown.stdout, /Basic Constraints \(critical\):\s+Certificate Authority \(CA\): TRUE/);
      assert.match(shown.stdout, /Key Usage \(critical\):\s+Certificate signing\.\s+CRL signing\./);
      assert.match(shown.stdout, /Subject Key Identifier/);
    });
  }
});

describe('a chain issued from openssl requests', () => {
  let root: TestCa;
  let sub: TestCa;
  before(async () => {
    root = await makeRoot({ kind: 'rsa', bits: 3072 });
    sub = await makeSubordinate(root, 'P-384');
  });

  for (const key of ['rsa:2048', 'rsa:3072', 'rsa:4096', 'P-256', 'P-384', 'P-521'] as RequestKey[]) {
    it(`a TLS server certificate for a ${key} key passes openssl verify -CAfile root -untrusted sub`, async () => {
      const request = await opensslRequest(key, '/CN=www.example.test', ['subjectAltName=DNS:www.example.test,DNS:example.test,IP:192.0.2.7']);
      const [csr] = parseCsrFile(request.der);
      const plan = planIssuedCertificate({ profile: loadProfile('tls-server'), csr: csr!, issuerCertDer: sub.certDer, issuerSpki: sub.signer.spki, serial: newSerial(() => false), now: new Date() });
      const leaf = await signTbs(plan.linted, sub.signer, plan.algorithm);
      const files = { 'root.pem': toPem('CERTIFICATE', root.certDer), 'sub.pem': toPem('CERTIFICATE', sub.certDer), 'leaf.pem': toPem('CERTIFICATE', leaf) };
      const verified = await runTool('openssl', ['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', 'root.pem', '-untrusted', 'sub.pem', 'leaf.pem'], { files });
      assert.equal(verified.code, 0, verified.stdout + verified.stderr);
      assert.match(verified.stdout, /leaf\.pem: OK/);
      const text = await runTool('openssl', ['x509', '-in', 'leaf.pem', '-noout', '-ext', 'subjectAltName,extendedKeyUsage'], { files });
      assert.match(text.stdout, /DNS:www\.example\.test, DNS:example\.test, IP Address:192\.0\.2\.7/);
      assert.match(text.stdout, /TLS Web Server Authentication/);
    });
  }

  it('the subordinate certificate carries the pathLen and the issuer\u2019s key identifier', async () => {
    const files = { 'sub.pem': toPem('CERTIFICATE', sub.certDer), 'root.pem': toPem('CERTIFICATE', root.certDer) };
    const text = await runTool('openssl', ['x509', '-in', 'sub.pem', '-noout', '-text'], { files });
    assert.match(text.stdout, /CA:TRUE, pathlen:0/);
    const rootSki = describeCertificate(root.certDer).extensions.find((e) => e.name === 'subjectKeyIdentifier')!.value;
    const subAki = describeCertificate(sub.certDer).extensions.find((e) => e.name === 'authorityKeyIdentifier')!.value as { keyIdentifier: string };
    assert.equal(subAki.keyIdentifier, rootSki);
  });

  it('certifies a key whose request leaves out rsaEncryption\u2019s NULL with the NULL written, and lints the bytes it signs', async () => {
    const applicant = softSignerFromKey(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, { kind: 'rsa', bits: 2048 });
    const withoutNull = AsnConvert.parse(applicant.spki, SubjectPublicKeyInfo);
    withoutNull.algorithm = new AlgorithmIdentifier({ algorithm: withoutNull.algorithm.algorithm });
    const spki = new Uint8Array(AsnConvert.serialize(withoutNull));
    assert.ok(spki.byteLength === applicant.spki.byteLength - 2);
    const der = await requestForKey({ spki, sign: applicant.sign }, parseSubject('CN=no-null.example.test'), { scheme: 'rsa-pkcs1', hash: 'SHA-256' });
    const [csr] = parseCsrFile(der);
    const plan = planIssuedCertificate({ profile: loadProfile('tls-client'), csr: csr!, issuerCertDer: sub.certDer, issuerSpki: sub.signer.spki, serial: newSerial(() => false), now: new Date() });
    // A copy of the request (not the object this process parsed) gives the same key bytes.
    assert.deepEqual(Buffer.from(subjectKeyOf({ ...csr! }).der), Buffer.from(subjectKeyOf(csr!).der));
    // What lint read is what will be signed, byte for byte.
    assert.deepEqual(Buffer.from(AsnConvert.serialize(plan.linted.tbs)), Buffer.from(plan.tbsDer));
    const leaf = await signTbs(plan.linted, sub.signer, plan.algorithm);
    // The certificate's own bytes (openssl -pubkey would re-encode the key and hide the difference).
    assert.deepEqual(Buffer.from(readCertificate(leaf).spkiDer), Buffer.from(applicant.spki));
    const files = { 'leaf.pem': toPem('CERTIFICATE', leaf) };
    const parsed = await runTool('openssl', ['asn1parse', '-in', 'leaf.pem'], { files });
    assert.match(parsed.stdout, /OBJECT\s+:rsaEncryption\n.*prim:\s+NULL/);
  });

  it('drops and reports a requested extension the profile does not take', async () => {
    const request = await opensslRequest('P-256', '/CN=Sneaky Leaf', ['subjectAltName=DNS:leaf.example.test', 'basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign']);
    const [csr] = parseCsrFile(request.der);
    const plan = planIssuedCertificate({ profile: loadProfile('tls-client'), csr: csr!, issuerCertDer: sub.certDer, issuerSpki: sub.signer.spki, serial: newSerial(() => false), now: new Date() });
    assert.deepEqual(plan.droppedRequestExtensions.map((d) => d.name).sort(), ['basicConstraints', 'keyUsage']);
    const leaf = describeCertificate(await signTbs(plan.linted, sub.signer, plan.algorithm));
    assert.deepEqual(leaf.extensions.find((e) => e.name === 'basicConstraints')!.value, { ca: false });
    assert.deepEqual(leaf.extensions.find((e) => e.name === 'keyUsage')!.value, ['digitalSignature']);
    assert.deepEqual(leaf.extensions.find((e) => e.name === 'subjectAltName')!.value, [{ type: 'dns', value: 'leaf.example.test' }]);
  });

  it('puts the CA\u2019s subject over the request\u2019s, and marks the SAN critical when that subject is empty', async () => {
    const request = await opensslRequest('P-256', '/CN=Chosen By Requester', ['subjectAltName=DNS:dev.example.test']);
    const [csr] = parseCsrFile(request.der);
    const plan = (subjectOverride: Parameters<typeof planIssuedCertificate>[0]['subjectOverride']) => planIssuedCertificate({
      profile: loadProfile('tls-server'), csr: csr!, issuerCertDer: sub.certDer, issuerSpki: sub.signer.spki, serial: newSerial(() => false), now: new Date(), subjectOverride,
    });
    assert.equal(plan([{ type: 'O', value: 'Custos Test' }, { type: 'CN', value: 'dev.example.test' }]).preview.subject.text, 'CN=dev.example.test,O=Custos Test');
    const empty = plan([]);
    assert.equal(empty.preview.subject.text, '');
    assert.equal(empty.preview.extensions.find((e) => e.name === 'subjectAltName')!.critical, true);
    const der = await signTbs(empty.linted, sub.signer, empty.algorithm);
    const files = { 'root.pem': toPem('CERTIFICATE', root.certDer), 'sub.pem': toPem('CERTIFICATE', sub.certDer), 'leaf.pem': toPem('CERTIFICATE', der) };
    const verified = await runTool('openssl', ['verify', '-x509_strict', '-CAfile', 'root.pem', '-untrusted', 'sub.pem', 'leaf.pem'], { files });
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  });

  it('takes no subjectAltName from a request for a CA profile, and says so', async () => {
    const request = await opensslRequest('P-256', '/CN=Another CA', ['subjectAltName=DNS:ca.example.test']);
    const [csr] = parseCsrFile(request.der);
    const plan = planIssuedCertificate({ profile: loadProfile('subordinate-ca'), csr: csr!, issuerCertDer: root.certDer, issuerSpki: root.signer.spki, serial: newSerial(() => false), now: new Date() });
    assert.deepEqual(plan.droppedRequestExtensions.map((d) => d.name), ['subjectAltName']);
    assert.equal(plan.preview.extensions.some((e) => e.name === 'subjectAltName'), false);
  });

  it('refuses a validity past the issuer\u2019s notAfter instead of shortening it', async () => {
    const now = new Date();
    const shortSub = await makeSubordinate(root, 'P-256', now, { validityDays: 30 });
    const request = await opensslRequest('P-256', '/CN=www.example.test', ['subjectAltName=DNS:www.example.test']);
    const [csr] = parseCsrFile(request.der);
    assert.throws(() => planIssuedCertificate({ profile: loadProfile('tls-server'), csr: csr!, issuerCertDer: shortSub.certDer, issuerSpki: shortSub.signer.spki, serial: newSerial(() => false), now, validityDays: 90 }),
      (e: unknown) => (e as { code?: string }).code === 'VALIDITY_EXCEEDS_ISSUER' && (e as { details: { maxDays: number } }).details.maxDays === 30);
    const fits = planIssuedCertificate({ profile: loadProfile('tls-server'), csr: csr!, issuerCertDer: shortSub.certDer, issuerSpki: shortSub.signer.spki, serial: newSerial(() => false), now, validityDays: 30 });
    assert.equal(fits.preview.validity.days, 30);
  });

  it('refuses a subordinate under a pathLen-0 subordinate (lint blocks it)', async () => {
    const request = await opensslRequest('P-256', '/CN=Too Deep CA');
    const [csr] = parseCsrFile(request.der);
    assert.throws(() => planIssuedCertificate({ profile: loadProfile('subordinate-ca'), csr: csr!, issuerCertDer: sub.certDer, issuerSpki: sub.signer.spki, serial: newSerial(() => false), now: new Date(), validityDays: 30 }),
      (e: unknown) => (e as { code?: string }).code === 'LINT_FAILED' && ((e as { details: { codes: string[] } }).details.codes).includes('ca.path_len_exceeds_issuer'));
  });

  it('refuses a request key the profile does not allow', async () => {
    const request = await opensslRequest('rsa:2048', '/CN=Signer');
    const [csr] = parseCsrFile(request.der);
    assert.throws(() => planIssuedCertificate({ profile: loadProfile('code-signing'), csr: csr!, issuerCertDer: sub.certDer, issuerSpki: sub.signer.spki, serial: newSerial(() => false), now: new Date() }),
      (e: unknown) => (e as { code?: string }).code === 'KEY_SPEC_UNSUPPORTED');
  });

  it('refuses to plan with a signing key that is not the issuer certificate\u2019s', async () => {
    const request = await opensslRequest('P-256', '/CN=www.example.test', ['subjectAltName=DNS:www.example.test']);
    const [csr] = parseCsrFile(request.der);
    assert.throws(() => planIssuedCertificate({ profile: loadProfile('tls-server'), csr: csr!, issuerCertDer: sub.certDer, issuerSpki: root.signer.spki, serial: newSerial(() => false), now: new Date() }),
      (e: unknown) => (e as { code?: string }).code === 'INPUT_INVALID');
  });

  it('an OCSP signer carries OCSPSigning and ocsp-nocheck, as openssl shows', async () => {
    const request = await opensslRequest('P-256', '/CN=OCSP Responder');
    const [csr] = parseCsrFile(request.der);
    const plan = planIssuedCertificate({ profile: loadProfile('ocsp-signer'), csr: csr!, issuerCertDer: sub.certDer, issuerSpki: sub.signer.spki, serial: newSerial(() => false), now: new Date() });
    const der = await signTbs(plan.linted, sub.signer, plan.algorithm);
    const text = await runTool('openssl', ['x509', '-inform', 'DER', '-in', 'c.der', '-noout', '-text'], { files: { 'c.der': der } });
    assert.match(text.stdout, /OCSP Signing/);
    assert.match(text.stdout, /OCSP No Check/);
  });
});
