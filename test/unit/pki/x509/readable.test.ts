import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { parseCsrFile } from '../../../../main/pki/x509/csr.ts';
import { planIssuedCertificate, signTbs } from '../../../../main/pki/x509/issue.ts';
import { describeCertificate } from '../../../../main/pki/x509/preview.ts';
import { loadProfile } from '../../../../main/pki/x509/profiles.ts';
import { durationWords, readableTbs, readAloudGroups, type ReadableTbs } from '../../../../main/pki/x509/readable.ts';
import { newSerial } from '../../../../main/pki/x509/serial.ts';
import { runTool } from '../../../support/openssl.ts';
import { makeRoot, makeSubordinate, type TestCa } from './chain.ts';
import { opensslRequest } from './requests.ts';

describe('a certificate as people read it', () => {
  let root: TestCa;
  let leafDer: Uint8Array;
  let leaf: ReadableTbs;
  before(async () => {
    root = await makeRoot({ kind: 'ec', curve: 'P-384' }, new Date('2026-01-01T00:00:00Z'));
    const [csr] = parseCsrFile((await opensslRequest('rsa:2048', '/C=DE/O=Example/CN=app.example.test', ['subjectAltName=DNS:app.example.test,IP:2001:db8::1'])).der);
    const plan = planIssuedCertificate({ profile: loadProfile('tls-server'), csr: csr!, issuerCertDer: root.certDer, issuerSpki: root.signer.spki, serial: newSerial(() => false), now: new Date('2026-02-01T00:00:00Z'), validityDays: 90 });
    leafDer = await signTbs(plan.linted, root.signer, plan.algorithm);
    leaf = readableTbs(describeCertificate(leafDer));
  });

  it('lists the subject and issuer in the order typed, most significant first (the RFC 4514 string is reversed)', () => {
    assert.deepEqual(leaf.subject.map((p) => `${p.type}=${p.value}`), ['C=DE', 'O=Example', 'CN=app.example.test']);
    assert.deepEqual(leaf.issuer.map((p) => p.label), ['Country', 'Organization', 'Common name']);
    assert.equal(describeCertificate(leafDer).subject.text, 'CN=app.example.test,O=Example,C=DE');
  });

  it('shows key usage and extended key usage in words, and the names by kind', () => {
    assert.deepEqual(leaf.keyUsage, { critical: true, usages: ['Digital signature', 'Key encipherment'] });
    assert.deepEqual(leaf.extendedKeyUsage, { critical: false, purposes: ['TLS server authentication'] });
    assert.deepEqual(leaf.subjectAltNames.map((n) => `${n.kind}: ${n.value}`), ['DNS name: app.example.test', 'IP address: 2001:db8::1']);
    assert.equal(leaf.basicConstraints?.text, 'Not a CA');
    assert.equal(leaf.key.description, 'RSA 2048');
  });

  it('shows the validity as dates, days and a duration', () => {
    assert.equal(leaf.validity.days, 90);
    assert.equal(leaf.validity.duration, '3 months and 1 day');
  });

  it('names the key fingerprint OpenSSL computes over the SubjectPublicKeyInfo', async () => {
    const r = await runTool('sh', ['-c', 'openssl x509 -inform DER -in c.der -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r'], { files: { 'c.der': leafDer } });
    assert.equal(r.stdout.split(' ')[0], leaf.key.spkiSha256);
  });

  it('says how many CAs a subordinate may have below it', async () => {
    const sub = await makeSubordinate(root, 'P-256', new Date(), { pathLen: 0 });
    const readable = readableTbs(describeCertificate(sub.certDer));
    assert.equal(readable.basicConstraints?.ca, true);
    assert.equal(readable.basicConstraints?.pathLen, 0);
    assert.match(readable.basicConstraints!.text, /end-entity certificates only \(path length 0\)/);
    assert.deepEqual(readable.keyUsage?.usages, ['Digital signature', 'Certificate signing', 'CRL signing']);
    const rootReadable = readableTbs(describeCertificate(root.certDer));
    assert.equal(rootReadable.basicConstraints?.text, 'CA, no limit on the CAs below it');
  });
});

describe('durations and read-aloud groups', () => {
  it('counts calendar years, months and days, notAfter inclusive', () => {
    assert.equal(durationWords('2026-01-01T00:00:00.000Z', '2035-12-31T23:59:59.000Z'), '10 years');
    assert.equal(durationWords('2026-01-01T00:00:00.000Z', '2027-02-01T23:59:59.000Z'), '1 year, 1 month and 1 day');
    assert.equal(durationWords('2026-03-01T00:00:00.000Z', '2026-03-01T23:59:59.000Z'), '1 day');
  });

  it('groups a SHA-256 in sixteen groups of four', () => {
    const groups = readAloudGroups('51ed7115'.repeat(8));
    assert.equal(groups.length, 16);
    assert.equal(groups.join(''), '51ed7115'.repeat(8));
    assert.deepEqual(groups.slice(0, 2), ['51ed', '7115']);
  });
});
