/**
 * What a person reads of a CV certificate or request: holder and authority
 * references, role and CHAT in words, dates, the public key and its
 * fingerprint (SHA-256 of its SubjectPublicKeyInfo, as X.509 keys are shown),
 * the signature algorithm by its TR-03110 name, and the extensions' OIDs.
 */
import { createHash } from 'node:crypto';
import {
  CVC_OID, DOMAIN_PARAMETERS, spkiFromCvcPublicKey, type CvcBody, type CvcCurve, type CvcPublicKey,
} from '../pki/cvc/cvc.ts';
import { children, decodeTlvList } from '../pki/cvc/tlv.ts';
import { oidFromContent } from '../pki/cvc/object-identifier.ts';
import { describeChat, type ChatDescription } from './chat.ts';

const OID_NAMES = new Map<string, string>(Object.entries(CVC_OID).map(([name, oid]) => [oid, name]));

export function algorithmName(oid: string): string {
  return OID_NAMES.get(oid) ?? oid;
}

export interface CvcKeyView {
  readonly algorithm: string;
  readonly algorithmOid: string;
  /** "EC brainpoolP256r1", "RSA 3072", or "EC (curve of the issuer)" for a point alone. */
  readonly description: string;
  readonly curve?: CvcCurve;
  readonly bits?: number;
  readonly withDomainParameters: boolean;
  /** SHA-256 of the key's SubjectPublicKeyInfo; absent while the curve is unknown (a point alone, issuer not at hand). */
  readonly spkiSha256?: string;
}

export interface CvcBodyView {
  readonly chr: string;
  readonly car?: string;
  readonly chat?: ChatDescription;
  readonly effectiveDate?: string;
  readonly expirationDate?: string;
  readonly publicKey: CvcKeyView;
  /** OIDs of the discretionary data templates in tag 65 (certificate extensions, TR-03110 part 3 §C.3). */
  readonly extensions: readonly string[];
}

export function spkiSha256Of(key: CvcPublicKey): string {
  return createHash('sha256').update(spkiFromCvcPublicKey(key)).digest('hex');
}

export function describeCvcKey(key: CvcPublicKey): CvcKeyView {
  const base = { algorithm: algorithmName(key.oid), algorithmOid: key.oid };
  if (key.kind === 'rsa') {
    let bits = key.modulus.length * 8;
    for (let b = key.modulus[0] ?? 0; b < 0x80 && bits > 0; b <<= 1) bits -= 1;
    return { ...base, description: `RSA ${bits}`, bits, withDomainParameters: false, spkiSha256: spkiSha256Of(key) };
  }
  if (key.curve === undefined) return { ...base, description: 'EC (curve of the issuer)', withDomainParameters: false };
  return {
    ...base, description: `EC ${key.curve}`, curve: key.curve, bits: DOMAIN_PARAMETERS[key.curve].fieldBits,
    withDomainParameters: key.withDomainParameters, spkiSha256: spkiSha256Of(key),
  };
}

function extensionOids(raw: Uint8Array | undefined): string[] {
  if (raw === undefined) return [];
  return decodeTlvList(raw).map((template) => {
    const oid = template.constructed ? children(template).find((t) => t.tag === 0x06) : undefined;
    return oid ? oidFromContent(oid.value) : `tag ${template.tag.toString(16).toUpperCase()}`;
  });
}

const day = (d: Date | undefined): string | undefined => d?.toISOString().slice(0, 10);

/** key: the body's key with its curve resolved (from the issuer), when it carries only the point. */
export function describeCvcBody(body: CvcBody, key: CvcPublicKey = body.publicKey): CvcBodyView {
  const effectiveDate = day(body.effectiveDate);
  const expirationDate = day(body.expirationDate);
  return {
    chr: body.chr,
    ...(body.car !== undefined ? { car: body.car } : {}),
    ...(body.chat ? { chat: describeChat(body.chat) } : {}),
    ...(effectiveDate ? { effectiveDate } : {}),
    ...(expirationDate ? { expirationDate } : {}),
    publicKey: describeCvcKey(key),
    extensions: extensionOids(body.extensions),
  };
}
