/**
 * Applicant requests made before any clock starts: fresh node:crypto key
 * pairs (EC P-256, or RSA-2048 for an RSA CA, as its applicants would bring),
 * each signing a PKCS#10 request with a subjectAltName, as a TLS server's would.
 */
import { generateKeyPair, sign as nodeSign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { Extension, GeneralName, GeneralNames } from '@peculiar/asn1-x509';
import { requestForKey } from '../../main/ca/key-request.ts';
import { parseSubject } from '../../main/ca/subject.ts';
import { OID } from '../../main/pki/oids.ts';

const generate = promisify(generateKeyPair);

export type ApplicantKey = 'ec-p256' | 'rsa-2048';

async function applicantKey(kind: ApplicantKey): Promise<{ privateKey: KeyObject; spki: Uint8Array }> {
  const pair = kind === 'ec-p256'
    ? await generate('ec', { namedCurve: 'P-256' })
    : await generate('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  return { privateKey: pair.privateKey, spki: new Uint8Array(pair.publicKey.export({ type: 'spki', format: 'der' })) };
}

function subjectAltName(dnsName: string): Extension {
  return new Extension({
    extnID: OID.subjectAltName, critical: false,
    extnValue: new OctetString(AsnConvert.serialize(new GeneralNames([new GeneralName({ dNSName: dnsName })]))),
  });
}

/**
 * RSA-2048 key generation takes ~0.1 s of CPU a key: RSA applicants share a
 * pool of this many keys (each request still differs in its names, so each is
 * its own request to the CA). EC applicants each get a fresh key.
 */
const RSA_KEY_POOL = 16;

/** One DER request per applicant, host names bench-<prefix>-<i>.custos.test. */
export async function makeRequests(kind: ApplicantKey, count: number, prefix: string): Promise<Uint8Array[]> {
  const poolSize = kind === 'rsa-2048' ? Math.min(RSA_KEY_POOL, count) : count;
  const pool = await Promise.all(Array.from({ length: poolSize }, () => applicantKey(kind)));
  const out: Uint8Array[] = new Array(count);
  const parallel = 8;
  for (let start = 0; start < count; start += parallel) {
    await Promise.all(Array.from({ length: Math.min(parallel, count - start) }, async (_, j) => {
      const i = start + j;
      const key = pool[i % poolSize]!;
      const host = `bench-${prefix}-${i}.custos.test`;
      const signer = {
        spki: key.spki,
        sign: async (data: Uint8Array) => new Uint8Array(nodeSign('sha256', data, kind === 'ec-p256' ? { key: key.privateKey, dsaEncoding: 'der' } : key.privateKey)),
      };
      out[i] = await requestForKey(signer, parseSubject(`C=XX, O=Custos Bench, CN=${host}`), kind === 'ec-p256'
        ? { scheme: 'ecdsa', hash: 'SHA-256' } : { scheme: 'rsa-pkcs1', hash: 'SHA-256' }, [subjectAltName(host)]);
    }));
  }
  return out;
}

export function toPem(der: Uint8Array, label = 'CERTIFICATE REQUEST'): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}-----END ${label}-----\n`;
}
