/**
 * A PKCS#10 request for a key that lives on a token (a subordinate CA's key
 * made on the ceremony HSM), signed by the token itself, so the same checks
 * apply to it as to a request that came in on a USB stick.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { Attribute, Extensions, SubjectPublicKeyInfo, type Extension, type Name } from '@peculiar/asn1-x509';
import { OID } from '../pki/oids.ts';
import type { SignAlgorithm, Signer } from '../hsm/token.ts';
import { algorithmIdentifierFor, signAlgorithmFor } from '../pki/x509/algorithms.ts';
import { CustosError } from '../errors/index.ts';
import { tokenRecord } from '../hsm/token.ts';
import { parseCsrFile } from '../pki/x509/csr.ts';
import { parseSubject } from './subject.ts';
import { runRecorded } from './recorded-act.ts';
import { recordRequest } from './requests.ts';
import type { CaContext } from './context.ts';
import type { RequestRecord } from './state.ts';

export async function requestForKey(signer: Pick<Signer, 'spki' | 'sign'>, subject: Name, algorithm: SignAlgorithm, extensions: readonly Extension[] = []): Promise<Uint8Array> {
  const info = new CertificationRequestInfo({
    version: 0,
    subject,
    subjectPKInfo: AsnConvert.parse(signer.spki, SubjectPublicKeyInfo),
  });
  if (extensions.length > 0) {
    // PKCS#9 extensionRequest (RFC 2985 §5.4.2): the extensions the applicant asks for.
    info.attributes.push(new Attribute({ type: OID.extensionRequest, values: [AsnConvert.serialize(new Extensions([...extensions]))] }));
  }
  const infoDer = new Uint8Array(AsnConvert.serialize(info));
  const signature = await signer.sign(infoDer, algorithm);
  const request = new CertificationRequest({
    certificationRequestInfo: info,
    signatureAlgorithm: algorithmIdentifierFor(algorithm),
    signature: signature.slice().buffer,
  });
  // Keep the exact info bytes that were signed: a re-encoding must not change them.
  request.certificationRequestInfoRaw = infoDer.slice().buffer;
  return new Uint8Array(AsnConvert.serialize(request));
}

/**
 * A request for a key on a token, made and signed by that token: recorded in
 * the journal (intent before the token signs, the request after), imported
 * as a request so a parent CA in this journal can sign it, and returned as
 * DER to be exported for a parent CA elsewhere. The subject is the one the
 * subordinate CA will be named by; the parent's profile decides the rest.
 */
export async function requestForTokenKey(ctx: CaContext, req: { tokenId: string; keySpkiSha256: string; subject: string }): Promise<{ der: Uint8Array; record: RequestRecord }> {
  const token = await ctx.tokens.open(req.tokenId);
  const key = await token.findKey(req.keySpkiSha256);
  if (!key) throw new CustosError('KEY_NOT_FOUND', `The token ${token.info.label} holds no key with SHA-256 ${req.keySpkiSha256.slice(0, 16)}…: pick one of its keys.`, { tokenId: req.tokenId, spkiSha256: req.keySpkiSha256 });
  const subject = parseSubject(req.subject);
  const intent = ctx.journal.begin('key.csr', { keySpkiSha256: key.spkiSha256, keyLabel: key.label, subject: req.subject }, tokenRecord(token.info));
  const der = await runRecorded(ctx, intent, () => requestForKey(token.signer(key), subject, signAlgorithmFor(key.spec)));
  // Checked as any request from outside is: a token that signed wrongly is caught here, not at the parent CA.
  const [csr] = parseCsrFile(der);
  ctx.journal.complete(intent, { requestId: csr!.sha256, keySpkiSha256: key.spkiSha256 });
  return { der, record: recordRequest(ctx, `${key.label}.csr`, csr!) };
}
