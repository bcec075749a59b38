/**
 * Requests that lie, made for real for the tests that refuse them: keys no
 * careful CA certifies, names that hide or fake text, and encodings that are
 * BER or damaged. Each is a complete PKCS#10 request whose self-signature
 * verifies where that is possible, so a refusal proves the check that made it,
 * not a broken signature. Built with @peculiar/asn1-* schemas and node:crypto;
 * byte surgery only where an encoding must be wrong on purpose.
 */
import { createHash, generateKeyPairSync, generatePrimeSync, sign } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { RSAPublicKey } from '@peculiar/asn1-rsa';
import {
  AlgorithmIdentifier, AttributeTypeAndValue, AttributeValue, Extension, GeneralName, GeneralNames, Name,
  RelativeDistinguishedName, SubjectPublicKeyInfo,
} from '@peculiar/asn1-x509';
import { requestForKey } from '../../../../main/ca/key-request.ts';
import { emsaPkcs1v15 } from '../../../../main/hsm/sc-hsm/signing.ts';
import { OID } from '../../../../main/pki/oids.ts';
import { runTool } from '../../../support/openssl.ts';

const RSA_BYTES = 256;

const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ecSpki = new Uint8Array(ecKey.publicKey.export({ type: 'spki', format: 'der' }));
const ecSign = async (data: Uint8Array): Promise<Uint8Array> => new Uint8Array(sign('sha256', data, { key: ecKey.privateKey, dsaEncoding: 'der' }));

/** A P-256 request with this subject and these requested extensions, signed by its own key. */
export function ecRequest(subject: Name, extensions: readonly Extension[] = []): Promise<Uint8Array> {
  return requestForKey({ spki: ecSpki, sign: ecSign }, subject, { scheme: 'ecdsa', hash: 'SHA-256' }, extensions);
}

/** One attribute value given as its whole TLV, exactly as the bytes will be in the DER (the way to write bytes a string type forbids). */
export function nameWithRawValue(typeOid: string, tlv: Uint8Array): Name {
  return new Name([new RelativeDistinguishedName([new AttributeTypeAndValue({ type: typeOid, value: new AttributeValue({ anyValue: tlv.slice().buffer }) })])]);
}

/** A subject of one UTF8String attribute (CN unless said otherwise). */
export function utf8Name(value: string, typeOid = '2.5.4.3'): Name {
  return new Name([new RelativeDistinguishedName([new AttributeTypeAndValue({ type: typeOid, value: new AttributeValue({ utf8String: value }) })])]);
}

export function sanExtension(names: readonly GeneralName[]): Extension {
  return new Extension({ extnID: OID.subjectAltName, critical: false, extnValue: new OctetString(AsnConvert.serialize(new GeneralNames([...names]))) });
}

const toBigInt = (bytes: Uint8Array): bigint => BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);
const toBytes = (n: bigint, length: number): Uint8Array => Uint8Array.from(Buffer.from(n.toString(16).padStart(length * 2, '0'), 'hex'));

/** An rsaEncryption SubjectPublicKeyInfo of these numbers, whatever they are. */
export function rsaSpki(modulus: bigint, exponent: bigint): Uint8Array {
  // INTEGERs are signed: a leading zero octet keeps a modulus with its top bit set positive.
  const unsigned = (n: bigint): ArrayBuffer => {
    const hex = n.toString(16).padStart(2, '0');
    const even = hex.length % 2 ? `0${hex}` : hex;
    return Uint8Array.from(Buffer.from(/^[89a-f]/.test(even) ? `00${even}` : even, 'hex')).buffer;
  };
  const key = AsnConvert.serialize(new RSAPublicKey({ modulus: unsigned(modulus), publicExponent: unsigned(exponent) }));
  return new Uint8Array(AsnConvert.serialize(new SubjectPublicKeyInfo({
    algorithm: new AlgorithmIdentifier({ algorithm: OID.rsaEncryption, parameters: null }),
    subjectPublicKey: key,
  })));
}

/** EMSA-PKCS1-v1_5 (RFC 8017 §9.2) of SHA-256(data), by the encoder the SmartCard-HSM backend signs with: what an RSA signature opens to. */
function pkcs1Encoded(data: Uint8Array): Uint8Array {
  return emsaPkcs1v15('SHA-256', createHash('sha256').update(data).digest(), RSA_BYTES);
}

function powMod(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}

function inverseMod(a: bigint, m: bigint): bigint {
  let [oldR, r] = [a % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return ((oldS % m) + m) % m;
}

/** The modulus of a fresh, sound 2048-bit RSA key. */
export function rsaModulus(): bigint {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return toBigInt(Buffer.from(publicKey.export({ format: 'jwk' }).n!, 'base64url'));
}

/**
 * A 2048-bit RSA "key" with public exponent 1: any s verifies as s itself, so
 * the padded digest is a valid signature and no private key exists at all.
 */
export function rsaExponentOneRequest(subject: Name): Promise<Uint8Array> {
  return requestForKey({ spki: rsaSpki(rsaModulus(), 1n), sign: async (data) => pkcs1Encoded(data) }, subject, { scheme: 'rsa-pkcs1', hash: 'SHA-256' });
}

/** An RSA key with an even exponent (e = 65538) over a real modulus; its signature cannot verify, the key check comes first. */
export function rsaEvenExponentRequest(subject: Name): Promise<Uint8Array> {
  return requestForKey({ spki: rsaSpki(rsaModulus(), 65538n), sign: async (data) => pkcs1Encoded(data) }, subject, { scheme: 'rsa-pkcs1', hash: 'SHA-256' });
}

/** An RSA key with e = 3 over a real modulus, signed for real with its private exponent. */
export function rsaSmallExponentRequest(subject: Name): Promise<Uint8Array> {
  // e = 3 needs primes with p, q ≢ 1 (mod 3); generate until both are.
  for (;;) {
    const p = generatePrimeSync(1024, { bigint: true });
    const q = generatePrimeSync(1024, { bigint: true });
    if (p % 3n === 1n || q % 3n === 1n || p === q) continue;
    const n = p * q;
    if (n.toString(2).length !== 2048) continue;
    const d = inverseMod(3n, (p - 1n) * (q - 1n));
    return requestForKey({ spki: rsaSpki(n, 3n), sign: async (data) => toBytes(powMod(toBigInt(pkcs1Encoded(data)), d, n), RSA_BYTES) }, subject, { scheme: 'rsa-pkcs1', hash: 'SHA-256' });
  }
}

/**
 * A 2048-bit even modulus n = 2p (p prime) with e = 65537: its private exponent
 * is known from p alone, so the request carries a signature that verifies.
 */
export function rsaEvenModulusRequest(subject: Name): Promise<Uint8Array> {
  for (;;) {
    const p = generatePrimeSync(2047, { bigint: true });
    if ((p - 1n) % 65537n === 0n) continue;
    const n = 2n * p;
    const d = inverseMod(65537n, p - 1n);
    return requestForKey({ spki: rsaSpki(n, 65537n), sign: async (data) => toBytes(powMod(toBigInt(pkcs1Encoded(data)), d, n), RSA_BYTES) }, subject, { scheme: 'rsa-pkcs1', hash: 'SHA-256' });
  }
}

/** The outer SEQUENCE's length and where its content starts (requests are 128..65535 bytes long: 30 81 LL or 30 82 HH LL). */
function outer(der: Uint8Array): { length: number; contentStart: number } {
  if (der[0] === 0x30 && der[1] === 0x81) return { length: der[2]!, contentStart: 3 };
  if (der[0] === 0x30 && der[1] === 0x82) return { length: der[2]! * 256 + der[3]!, contentStart: 4 };
  throw new Error('expected a request with a one- or two-octet outer length');
}

/** The outer SEQUENCE's header rewritten; the signed part is untouched, so the self-signature still verifies. */
function withOuterHeader(der: Uint8Array, header: readonly number[], trailer: readonly number[] = []): Uint8Array {
  return Uint8Array.from([...header, ...der.subarray(outer(der).contentStart), ...trailer]);
}

/** The request with an indefinite outer length and end-of-contents octets (BER). */
export const indefiniteLength = (der: Uint8Array): Uint8Array => withOuterHeader(der, [0x30, 0x80], [0x00, 0x00]);

/** The request with its outer length in one octet more than it needs (BER). */
export function nonMinimalLength(der: Uint8Array): Uint8Array {
  const { length } = outer(der);
  return withOuterHeader(der, [0x30, 0x83, 0x00, length >> 8, length & 0xff]);
}

/** The request with its outer length one less than its content (kept in the same form). */
export function outerLengthOneShort(der: Uint8Array): Uint8Array {
  const { length } = outer(der);
  return withOuterHeader(der, der[1] === 0x81 ? [0x30, 0x81, length - 1] : [0x30, 0x82, (length - 1) >> 8, (length - 1) & 0xff]);
}

/** A request from `openssl req` asking for `count` DNS names, through a config file (an -addext that long exceeds one argument's limit). */
export async function opensslRequestWithSans(count: number): Promise<Uint8Array> {
  const names = Array.from({ length: count }, (_, i) => `DNS.${i + 1}=n${i + 1}.example.test`).join('\n');
  const config = `[req]\ndistinguished_name=dn\nreq_extensions=ext\nprompt=no\n[dn]\nCN=many.example.test\n[ext]\nsubjectAltName=@alt\n[alt]\n${names}\n`;
  const made = await runTool('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'k.pem', '-config', 'r.cnf', '-outform', 'DER', '-out', 'r.der'],
    { files: { 'r.cnf': config }, outputs: ['r.der'] });
  if (made.code !== 0) throw new Error(`openssl req failed: ${made.stderr}`);
  const verified = await runTool('openssl', ['req', '-in', 'r.der', '-inform', 'DER', '-verify', '-noout'], { files: { 'r.der': made.outputs['r.der']! } });
  if (verified.code !== 0) throw new Error(`openssl does not verify its own request: ${verified.stderr}`);
  return made.outputs['r.der']!;
}
