import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { AlgorithmIdentifier, Attribute, DirectoryString, Extension, Extensions, GeneralName, GeneralNames, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { parseSubject } from '../../../../main/ca/subject.ts';
import { OID } from '../../../../main/pki/oids.ts';
import { isCheckedCsr, MAX_CSR_FILE_BYTES, parseCsrFile, rereadImportedCsr } from '../../../../main/pki/x509/csr.ts';
import { runTool } from '../../../support/openssl.ts';
import { opensslRequest, toPem, type OpensslRequest } from './requests.ts';

function rejects(bytes: Uint8Array, code: string, index?: number): void {
  assert.throws(() => parseCsrFile(bytes), (e: unknown) => {
    const err = e as { code?: string; details?: { index?: number } };
    assert.equal(err.code, code);
    assert.equal(err.details?.index, index);
    return true;
  });
}

const text = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));

/** A request with these attributes, signed by a fresh P-256 key (the attributes need not make sense). */
function signedRequest(attributes: Attribute[]): Uint8Array {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const info = new CertificationRequestInfo({
    version: 0,
    subject: parseSubject('CN=attributes.example.test'),
    subjectPKInfo: AsnConvert.parse(publicKey.export({ type: 'spki', format: 'der' }), SubjectPublicKeyInfo),
  });
  info.attributes.push(...attributes);
  const infoDer = AsnConvert.serialize(info);
  const request = new CertificationRequest({
    certificationRequestInfo: info,
    signatureAlgorithm: new AlgorithmIdentifier({ algorithm: OID.ecdsaWithSHA256 }),
    signature: new Uint8Array(sign('sha256', new Uint8Array(infoDer), { key: privateKey, dsaEncoding: 'der' })).buffer,
  });
  request.certificationRequestInfoRaw = infoDer;
  return new Uint8Array(AsnConvert.serialize(request));
}

function sanExtensions(dns: string): ArrayBuffer {
  const san = new Extension({ extnID: OID.subjectAltName, critical: false, extnValue: new OctetString(AsnConvert.serialize(new GeneralNames([new GeneralName({ dNSName: dns })]))) });
  return AsnConvert.serialize(new Extensions([san]));
}

describe('parseCsrFile', () => {
  let good: OpensslRequest;
  before(async () => {
    good = await opensslRequest('P-256', '/C=DE/O=Example, Inc./CN=www.example.test',
      ['subjectAltName=DNS:www.example.test,IP:192.0.2.1,email:ops@example.test,URI:https://example.test/', 'extendedKeyUsage=serverAuth']);
  });

  it('reads an openssl request in PEM and in DER to the same facts', () => {
    const [fromPem] = parseCsrFile(text(good.pem));
    const [fromDer] = parseCsrFile(good.der);
    assert.deepEqual(fromPem, fromDer);
    assert.deepEqual(Buffer.from(fromDer!.der), Buffer.from(good.der));
    assert.equal(fromDer!.sha256, createHash('sha256').update(good.der).digest('hex'));
  });

  it('reports subject, key, SANs and requested extensions as openssl sees them', async () => {
    const [csr] = parseCsrFile(good.der);
    const subject = await runTool('openssl', ['req', '-in', 'r.pem', '-noout', '-subject', '-nameopt', 'RFC2253'], { files: { 'r.pem': good.pem } });
    assert.equal(`subject=${csr!.subject.text}`, subject.stdout.trim());
    assert.equal(csr!.subject.rdns[2]![0]!.value, 'www.example.test');
    const pub = await runTool('openssl', ['req', '-in', 'r.pem', '-noout', '-pubkey'], { files: { 'r.pem': good.pem } });
    const spki = await runTool('openssl', ['pkey', '-pubin', '-outform', 'DER'], { input: pub.stdout });
    assert.equal(csr!.spkiSha256, createHash('sha256').update(spki.stdoutBytes).digest('hex'));
    assert.deepEqual(csr!.keySpec, { kind: 'ec', curve: 'P-256' });
    assert.deepEqual(csr!.subjectAltNames, { dns: ['www.example.test'], ip: ['192.0.2.1'], email: ['ops@example.test'], uri: ['https://example.test/'] });
    assert.deepEqual(csr!.requestedExtensions.map((e) => e.name), ['subjectAltName', 'extKeyUsage']);
    assert.deepEqual(csr!.requestedExtensions[1]!.value, ['serverAuth']);
    assert.equal(csr!.signatureAlgorithm.name, 'ecdsa-with-SHA256');
  });

  it('reads every block of a PEM file, with either request label and text around them', async () => {
    const other = await opensslRequest('rsa:2048', '/CN=second');
    const legacy = good.pem.replace(/CERTIFICATE REQUEST/g, 'NEW CERTIFICATE REQUEST');
    const csrs = parseCsrFile(text(`issued for ops\n${legacy}\nand another:\n${other.pem}`));
    assert.deepEqual(csrs.map((c) => c.subject.text), ['CN=www.example.test,O=Example\\, Inc.,C=DE', 'CN=second']);
    assert.deepEqual(csrs[1]!.keySpec, { kind: 'rsa', bits: 2048 });
  });

  it('CSR_EMPTY for an empty file, or one with only blank lines', () => {
    rejects(new Uint8Array(0), 'CSR_EMPTY');
    rejects(text(' \r\n\n\t'), 'CSR_EMPTY');
  });

  it('CSR_TOO_LARGE for a file over 1 MiB, before reading it', () => {
    const big = new Uint8Array(MAX_CSR_FILE_BYTES + 1).fill(0x41);
    big.set(text('-----BEGIN CERTIFICATE-----\n'));
    rejects(big, 'CSR_TOO_LARGE');
  });

  it('CSR_PEM_LABEL for a PEM certificate instead of a request', () => rejects(text(toPem('CERTIFICATE', good.der)), 'CSR_PEM_LABEL'));

  it('CSR_MALFORMED for a truncated request', () => rejects(good.der.subarray(0, good.der.length - 20), 'CSR_MALFORMED'));

  it('CSR_MALFORMED for PEM that is not base64', () => rejects(text('-----BEGIN CERTIFICATE REQUEST-----\nnot*base64!\n-----END CERTIFICATE REQUEST-----\n'), 'CSR_MALFORMED'));

  it('CSR_TRAILING_BYTES for bytes after the request', () => rejects(Uint8Array.from([...good.der, 0x00, 0x01]), 'CSR_TRAILING_BYTES'));

  it('CSR_SIGNATURE_INVALID for a request with one signature byte flipped', () => {
    const flipped = good.der.slice();
    flipped[flipped.length - 3]! ^= 0x01;
    rejects(flipped, 'CSR_SIGNATURE_INVALID');
  });

  it('CSR_SIGNATURE_INVALID for a request whose subject was changed after signing', () => {
    const at = Buffer.from(good.der).indexOf('www.example.test');
    const altered = good.der.slice();
    altered[at] = 'x'.charCodeAt(0);
    rejects(altered, 'CSR_SIGNATURE_INVALID');
  });

  it('CSR_KEY_WEAK for a 1024-bit RSA request', async () => {
    const weak = await opensslRequest('rsa:1024', '/CN=weak');
    rejects(weak.der, 'CSR_KEY_WEAK');
  });

  it('CSR_KEY_UNSUPPORTED for a secp256k1 request', async () => {
    const k1 = await opensslRequest('secp256k1', '/CN=k1');
    rejects(k1.der, 'CSR_KEY_UNSUPPORTED');
  });

  it('CSR_KEY_UNSUPPORTED for an Ed25519 request', async () => {
    const ed = await opensslRequest('ed25519', '/CN=ed');
    rejects(ed.der, 'CSR_KEY_UNSUPPORTED');
  });

  it('finds the extensionRequest after another attribute, and reads every value of it', () => {
    const der = signedRequest([
      // unstructuredName with two values, shaped like the extensionRequest after it, so reading the wrong attribute shows.
      new Attribute({ type: '1.2.840.113549.1.9.2', values: ['one', 'two'].map((v) => AsnConvert.serialize(new DirectoryString({ utf8String: v }))) }),
      new Attribute({ type: OID.extensionRequest, values: [sanExtensions('a.example.test'), sanExtensions('b.example.test')] }),
    ]);
    const [csr] = parseCsrFile(der);
    assert.deepEqual(csr!.subjectAltNames.dns, ['a.example.test', 'b.example.test']);
  });

  it('CSR_MALFORMED for an extensionRequest whose value is not a list of extensions', () => {
    rejects(signedRequest([new Attribute({ type: OID.extensionRequest, values: [AsnConvert.serialize(new OctetString(8))] })]), 'CSR_MALFORMED');
  });

  it('names a wrong label before damage elsewhere in the file', () => {
    const damaged = '-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----\n';
    rejects(text(damaged + toPem('PRIVATE KEY', good.der)), 'CSR_PEM_LABEL', 1);
  });

  it('names the index of the bad request in a file with several', () => {
    const flipped = good.der.slice();
    flipped[flipped.length - 3]! ^= 0x01;
    rejects(text(good.pem + toPem('CERTIFICATE REQUEST', flipped)), 'CSR_SIGNATURE_INVALID', 1);
  });

  it('marks the requests it checked, and nothing copied from them', () => {
    const [csr] = parseCsrFile(good.der);
    assert.equal(isCheckedCsr(csr), true);
    assert.equal(isCheckedCsr({ ...csr! }), false);
    assert.ok(Object.isFrozen(csr));
  });

  it('reads a stored request again by its SHA-256, and refuses bytes that changed', () => {
    const [csr] = parseCsrFile(good.der);
    assert.deepEqual(rereadImportedCsr(good.der, csr!.sha256), csr);
    const flipped = good.der.slice();
    flipped[flipped.length - 3]! ^= 0x01;
    assert.equal(rereadImportedCsr(flipped, csr!.sha256), undefined);
    assert.equal(rereadImportedCsr(Uint8Array.of(0x30, 0x00), createHash('sha256').update(Uint8Array.of(0x30, 0x00)).digest('hex')), undefined);
    assert.equal(isCheckedCsr(rereadImportedCsr(good.der, csr!.sha256)), false, 'a re-read is not a fresh check');
  });
});
