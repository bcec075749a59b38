import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { parseCsrFile, type CsrInfo } from '../../../main/pki/x509/csr.ts';
import { planIssuedCertificate } from '../../../main/pki/x509/issue.ts';
import { loadProfile, type Profile } from '../../../main/pki/x509/profiles.ts';
import { newSerial } from '../../../main/pki/x509/serial.ts';
import { readableRequest, reviewRequest, type RequestReview } from '../../../main/ca/request-review.ts';
import { makeRoot, type TestCa } from '../pki/x509/chain.ts';
import { opensslRequest } from '../pki/x509/requests.ts';

async function csrOf(subject: string, addext: string[] = []): Promise<CsrInfo> {
  return parseCsrFile((await opensslRequest('P-256', subject, addext)).der)[0]!;
}

function review(root: TestCa, csr: CsrInfo, profile: Profile, subjectOverride?: { type: string; value: string }[]): RequestReview {
  const plan = planIssuedCertificate({
    profile, csr, issuerCertDer: root.certDer, issuerSpki: root.signer.spki, serial: newSerial(() => false), now: new Date(),
    ...(subjectOverride ? { subjectOverride } : {}),
  });
  return reviewRequest(csr, plan, profile);
}

describe('request review: what was asked beside what is issued', () => {
  let root: TestCa;
  before(async () => { root = await makeRoot(); });

  it('takes the subject in the order typed, the key and the names a TLS server profile allows', async () => {
    const csr = await csrOf('/C=DE/O=Example/CN=www.example.test', ['subjectAltName=DNS:www.example.test,DNS:example.test']);
    const r = review(root, csr, loadProfile('tls-server'));
    const byItem = Object.fromEntries(r.rows.map((row) => [row.item, row]));
    assert.deepEqual(byItem.Subject, { item: 'Subject', asked: 'C=DE, O=Example, CN=www.example.test', issued: 'C=DE, O=Example, CN=www.example.test', outcome: 'taken' });
    assert.equal(byItem.Key!.outcome, 'taken');
    assert.equal(byItem.Key!.issued, 'EC P-256');
    assert.equal(byItem.subjectAltName!.outcome, 'taken');
    assert.equal(byItem.subjectAltName!.issued, 'DNS name www.example.test, DNS name example.test');
    assert.deepEqual(r.warnings, []);
  });

  it('lists what the profile added on its own, in words', async () => {
    const csr = await csrOf('/CN=www.example.test', ['subjectAltName=DNS:www.example.test']);
    const r = review(root, csr, loadProfile('tls-server'));
    const added = r.rows.filter((row) => row.outcome === 'added');
    assert.deepEqual(added.map((a) => a.item), ['basicConstraints', 'keyUsage', 'extKeyUsage', 'subjectKeyIdentifier', 'authorityKeyIdentifier']);
    assert.equal(added.find((a) => a.item === 'keyUsage')!.issued, 'Digital signature', 'an EC key is never issued for key encipherment');
    assert.equal(added.find((a) => a.item === 'extKeyUsage')!.issued, 'TLS server authentication');
    assert.equal(added.find((a) => a.item === 'basicConstraints')!.issued, 'Not a CA');
    assert.match(added[0]!.reason!, /Added by the profile "tls-server"/);
  });

  it('drops an extension the profile writes itself and says why, with the value issued instead', async () => {
    const csr = await csrOf('/CN=www.example.test', ['subjectAltName=DNS:www.example.test', 'keyUsage=critical,keyCertSign,cRLSign']);
    const r = review(root, csr, loadProfile('tls-server'));
    const ku = r.rows.find((row) => row.item === 'keyUsage')!;
    assert.equal(ku.outcome, 'dropped');
    assert.equal(ku.asked, 'Certificate signing, CRL signing');
    assert.equal(ku.issued, 'Digital signature');
    assert.match(ku.reason!, /does not take keyUsage from a request/);
  });

  it('warns before signing when a request asks for CA:TRUE under a leaf profile', async () => {
    const csr = await csrOf('/CN=sneaky.example.test', ['subjectAltName=DNS:sneaky.example.test', 'basicConstraints=critical,CA:TRUE']);
    const r = review(root, csr, loadProfile('tls-server'));
    assert.deepEqual(r.warnings.map((w) => w.code), ['REQUEST_ASKS_CA']);
    assert.match(r.warnings[0]!.message, /asks to be a CA \(CA:TRUE\); the profile "tls-server" issues it as "Not a CA"/);
    const bc = r.rows.find((row) => row.item === 'basicConstraints')!;
    assert.equal(bc.outcome, 'dropped');
    assert.equal(bc.asked, 'CA, no limit on the CAs below it');
  });

  it('warns that a CA profile will make a request that asks for CA:TRUE a CA', async () => {
    const csr = await csrOf('/C=DE/O=Example/CN=Issuing CA', ['basicConstraints=critical,CA:TRUE']);
    const r = review(root, csr, loadProfile('subordinate-ca'));
    assert.deepEqual(r.warnings.map((w) => w.code), ['REQUEST_ASKS_CA']);
    assert.match(r.warnings[0]!.message, /makes it one/);
  });

  it('warns about an unknown critical extension, and says it is left out', async () => {
    const csr = await csrOf('/CN=www.example.test', ['subjectAltName=DNS:www.example.test', '1.3.6.1.4.1.99999.1=critical,DER:0500']);
    const r = review(root, csr, loadProfile('tls-server'));
    assert.deepEqual(r.warnings.map((w) => w.code), ['UNKNOWN_CRITICAL_EXTENSION']);
    assert.match(r.warnings[0]!.message, /1\.3\.6\.1\.4\.1\.99999\.1.*left out/);
    const row = r.rows.find((x) => x.item === '1.3.6.1.4.1.99999.1')!;
    assert.equal(row.outcome, 'dropped');
  });

  it('does not warn about an unknown extension the request did not mark critical', async () => {
    const csr = await csrOf('/CN=www.example.test', ['subjectAltName=DNS:www.example.test', '1.3.6.1.4.1.99999.1=DER:0500']);
    assert.deepEqual(review(root, csr, loadProfile('tls-server')).warnings, []);
  });

  it('warns about IP and e-mail names in a TLS server certificate, naming each', async () => {
    const csr = await csrOf('/CN=www.example.test', ['subjectAltName=DNS:www.example.test,IP:192.0.2.7,email:admin@example.test']);
    const r = review(root, csr, loadProfile('tls-server'));
    assert.deepEqual(r.warnings.map((w) => w.code), ['TLS_SERVER_IP_OR_EMAIL_NAME']);
    assert.match(r.warnings[0]!.message, /IP address 192\.0\.2\.7, E-mail address admin@example\.test/);
  });

  it('does not warn about an e-mail name in a TLS client certificate', async () => {
    const csr = await csrOf('/CN=alice', ['subjectAltName=email:alice@example.test']);
    assert.deepEqual(review(root, csr, loadProfile('tls-client')).warnings, []);
  });

  it('shows a subject the CA replaced as changed, with the reason', async () => {
    const csr = await csrOf('/CN=asked.example.test', ['subjectAltName=DNS:asked.example.test']);
    const r = review(root, csr, loadProfile('tls-server'), [{ type: 'O', value: 'Example' }, { type: 'CN', value: 'given.example.test' }]);
    const subject = r.rows[0]!;
    assert.equal(subject.outcome, 'changed');
    assert.equal(subject.asked, 'CN=asked.example.test');
    assert.equal(subject.issued, 'O=Example, CN=given.example.test');
    assert.match(subject.reason!, /CA set the subject/);
  });
});

describe('a request as a custodian reads it', () => {
  it('shows the subject in the order typed, its names, its extensions and that its signature was checked', async () => {
    const csr = await csrOf('/C=DE/O=Example/OU=Web/CN=www.example.test', ['subjectAltName=DNS:www.example.test,IP:192.0.2.7']);
    const r = readableRequest(csr);
    assert.deepEqual(r.subject.map((p) => `${p.label}: ${p.value}`), ['Country: DE', 'Organization: Example', 'Organizational unit: Web', 'Common name: www.example.test']);
    assert.deepEqual(r.subjectAltNames.map((n) => `${n.kind} ${n.value}`), ['DNS name www.example.test', 'IP address 192.0.2.7']);
    assert.deepEqual(r.signature, { checked: true, algorithm: 'ecdsa-with-SHA256' });
    assert.equal(r.key.description, 'EC P-256');
    assert.equal(r.key.spkiSha256, csr.spkiSha256);
    assert.deepEqual(r.requestedExtensions.map((e) => e.name), ['subjectAltName']);
  });
});
