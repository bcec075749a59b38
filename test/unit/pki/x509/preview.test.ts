import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { parseCsrFile } from '../../../../main/pki/x509/csr.ts';
import { planIssuedCertificate, signTbs, type CertificatePlan } from '../../../../main/pki/x509/issue.ts';
import { describeCertificate, describeSigned, describeTbs } from '../../../../main/pki/x509/preview.ts';
import { customizeProfile, loadProfile } from '../../../../main/pki/x509/profiles.ts';
import { newSerial } from '../../../../main/pki/x509/serial.ts';
import { runTool } from '../../../support/openssl.ts';
import { makeRoot, type TestCa } from './chain.ts';
import { opensslRequest } from './requests.ts';

describe('preview', () => {
  let root: TestCa;
  let plan: CertificatePlan;
  let cert: Uint8Array;
  before(async () => {
    root = await makeRoot({ kind: 'rsa', bits: 3072 });
    const [csr] = parseCsrFile((await opensslRequest('rsa:2048', '/O=Example/CN=app.example.test', ['subjectAltName=DNS:app.example.test,IP:2001:db8::1'])).der);
    const profile = customizeProfile(loadProfile('tls-server'), { crlDistributionPoints: ['http://pki.example.test/sub.crl'], authorityInfoAccess: { ocsp: ['http://ocsp.example.test/'] } });
    plan = planIssuedCertificate({ profile, csr: csr!, issuerCertDer: root.certDer, issuerSpki: root.signer.spki, serial: newSerial(() => false), now: new Date(), validityDays: 90 });
    cert = await signTbs(plan.linted, root.signer, plan.algorithm);
  });

  it('lists the same serial, names, validity, key and extensions as the signed certificate', () => {
    const { sha256: _sha256, sha1: _sha1, ...signed } = describeCertificate(cert);
    assert.deepEqual(signed, plan.preview);
    assert.deepEqual(describeTbs(plan.tbsDer), plan.preview);
  });

  it('describes a certificate just signed from its plan as reading it back would', () => {
    assert.deepEqual(describeSigned(plan.preview, cert), describeCertificate(cert));
  });

  it('describes what openssl shows of the signed certificate', async () => {
    const files = { 'c.der': cert };
    const shown = await runTool('openssl', ['x509', '-inform', 'DER', '-in', 'c.der', '-noout', '-serial', '-fingerprint', '-sha256', '-subject', '-nameopt', 'RFC2253'], { files });
    const described = describeCertificate(cert);
    assert.match(shown.stdout, new RegExp(`serial=${described.serialHex}`, 'i'));
    assert.match(shown.stdout, new RegExp(`Fingerprint=${described.sha256.replace(/(..)(?!$)/g, '$1:')}`, 'i'));
    assert.match(shown.stdout, new RegExp(`subject=${described.subject.text}`));
    assert.equal(described.subject.text, 'CN=app.example.test,O=Example');
    assert.equal(described.subjectPublicKey.description, 'RSA 2048');
    assert.equal(described.validity.days, 90);
    assert.equal(described.signatureAlgorithm.name, 'sha384WithRSAEncryption');
  });

  it('names and decodes every extension, critical flags included', () => {
    const byName = Object.fromEntries(plan.preview.extensions.map((e) => [e.name, e]));
    assert.deepEqual(Object.keys(byName), ['basicConstraints', 'keyUsage', 'extKeyUsage', 'subjectKeyIdentifier', 'authorityKeyIdentifier', 'subjectAltName', 'crlDistributionPoints', 'authorityInfoAccess']);
    assert.equal(byName.basicConstraints!.critical, true);
    assert.deepEqual(byName.keyUsage!.value, ['digitalSignature', 'keyEncipherment']);
    assert.deepEqual(byName.extKeyUsage!.value, ['serverAuth']);
    assert.deepEqual(byName.subjectAltName!.value, [{ type: 'dns', value: 'app.example.test' }, { type: 'ip', value: '2001:db8::1' }]);
    assert.deepEqual(byName.crlDistributionPoints!.value, [{ fullName: [{ type: 'uri', value: 'http://pki.example.test/sub.crl' }] }]);
    assert.deepEqual(byName.authorityInfoAccess!.value, [{ method: 'ocsp', location: { type: 'uri', value: 'http://ocsp.example.test/' } }]);
  });

  it('is plain JSON', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(plan.preview)), plan.preview);
    assert.deepEqual(JSON.parse(JSON.stringify(describeCertificate(cert))), describeCertificate(cert));
  });
});
