/**
 * The OIDs of card verifiable certificates, by their BSI TR-03110 part 3 names
 * (appendix A.6.4, prefix bsi-de 0.4.0.127.0.7.2.2.2 = id-TA), and the
 * SmartCard-HSM role OIDs (CardContact arc 1.3.6.1.4.1.24991.3).
 */
import { OID } from '../oids.ts';

const ID_TA_RSA = '0.4.0.127.0.7.2.2.2.1';
const ID_TA_ECDSA = '0.4.0.127.0.7.2.2.2.2';

export const CVC_OID = {
  'id-TA-RSA-v1-5-SHA-1': `${ID_TA_RSA}.1`,
  'id-TA-RSA-v1-5-SHA-256': `${ID_TA_RSA}.2`,
  'id-TA-RSA-PSS-SHA-1': `${ID_TA_RSA}.3`,
  'id-TA-RSA-PSS-SHA-256': `${ID_TA_RSA}.4`,
  'id-TA-RSA-v1-5-SHA-512': `${ID_TA_RSA}.5`,
  'id-TA-RSA-PSS-SHA-512': `${ID_TA_RSA}.6`,
  'id-TA-ECDSA-SHA-1': `${ID_TA_ECDSA}.1`,
  'id-TA-ECDSA-SHA-224': `${ID_TA_ECDSA}.2`,
  'id-TA-ECDSA-SHA-256': `${ID_TA_ECDSA}.3`,
  'id-TA-ECDSA-SHA-384': `${ID_TA_ECDSA}.4`,
  'id-TA-ECDSA-SHA-512': `${ID_TA_ECDSA}.5`,
  /**
   * The SmartCard-HSM role in a CHAT (7F4C): one OID, the level in its 53 bits (SC_HSM_ROLE_BITS).
   * EJBCA cert-cvc calls it CC_ROLE_SC_HSM; the real SRCA, DICA and device certificates carry it.
   */
  'id-SC-HSM-role': '1.3.6.1.4.1.24991.3.1.1',
  /** Key domain UID extension (tag 65 / 73), CardContact `ID_KEY_DOMAIN_UID`. */
  'id-SC-HSM-key-domain-UID': '1.3.6.1.4.1.24991.3.2.2',
} as const;

/** CHAT bits with id-SC-HSM-role, as the real SRCA (C0), DICA DEDINK0400001 (80) and device DENK040414400000 (00) carry them. */
export const SC_HSM_ROLE_BITS = { srca: 0xc0, dica: 0x80, device: 0x00 } as const;

export type CvcSignatureOid = (typeof CVC_OID)[
  | 'id-TA-RSA-v1-5-SHA-1' | 'id-TA-RSA-v1-5-SHA-256' | 'id-TA-RSA-v1-5-SHA-512'
  | 'id-TA-RSA-PSS-SHA-1' | 'id-TA-RSA-PSS-SHA-256' | 'id-TA-RSA-PSS-SHA-512'
  | 'id-TA-ECDSA-SHA-1' | 'id-TA-ECDSA-SHA-224' | 'id-TA-ECDSA-SHA-256' | 'id-TA-ECDSA-SHA-384' | 'id-TA-ECDSA-SHA-512'];

export type CvcHash = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

export interface CvcAlgorithm {
  readonly kind: 'rsa' | 'ec';
  readonly scheme: 'rsa-pkcs1' | 'rsa-pss' | 'ecdsa';
  /** node:crypto digest name. */
  readonly hash: CvcHash;
}

const ALGORITHMS: ReadonlyMap<string, CvcAlgorithm> = new Map<string, CvcAlgorithm>([
  [CVC_OID['id-TA-RSA-v1-5-SHA-1'], { kind: 'rsa', scheme: 'rsa-pkcs1', hash: 'sha1' }],
  [CVC_OID['id-TA-RSA-v1-5-SHA-256'], { kind: 'rsa', scheme: 'rsa-pkcs1', hash: 'sha256' }],
  [CVC_OID['id-TA-RSA-v1-5-SHA-512'], { kind: 'rsa', scheme: 'rsa-pkcs1', hash: 'sha512' }],
  [CVC_OID['id-TA-RSA-PSS-SHA-1'], { kind: 'rsa', scheme: 'rsa-pss', hash: 'sha1' }],
  [CVC_OID['id-TA-RSA-PSS-SHA-256'], { kind: 'rsa', scheme: 'rsa-pss', hash: 'sha256' }],
  [CVC_OID['id-TA-RSA-PSS-SHA-512'], { kind: 'rsa', scheme: 'rsa-pss', hash: 'sha512' }],
  [CVC_OID['id-TA-ECDSA-SHA-1'], { kind: 'ec', scheme: 'ecdsa', hash: 'sha1' }],
  [CVC_OID['id-TA-ECDSA-SHA-224'], { kind: 'ec', scheme: 'ecdsa', hash: 'sha224' }],
  [CVC_OID['id-TA-ECDSA-SHA-256'], { kind: 'ec', scheme: 'ecdsa', hash: 'sha256' }],
  [CVC_OID['id-TA-ECDSA-SHA-384'], { kind: 'ec', scheme: 'ecdsa', hash: 'sha384' }],
  [CVC_OID['id-TA-ECDSA-SHA-512'], { kind: 'ec', scheme: 'ecdsa', hash: 'sha512' }],
]);

/** The scheme and hash a TA OID names, or undefined for an OID that is not a TR-03110 signature algorithm. */
export function cvcAlgorithm(oid: string): CvcAlgorithm | undefined {
  return ALGORITHMS.get(oid);
}

/** Named-curve OIDs for the SubjectPublicKeyInfo of CVC keys (RFC 5480 §2.1.1.1, RFC 5639 §4.1, SEC 2 §A.2). */
export const CURVE_OID = {
  'P-256': OID.secp256r1,
  'P-384': OID.secp384r1,
  'P-521': OID.secp521r1,
  brainpoolP256r1: '1.3.36.3.3.2.8.1.1.7',
  brainpoolP384r1: '1.3.36.3.3.2.8.1.1.11',
  brainpoolP512r1: '1.3.36.3.3.2.8.1.1.13',
  secp256k1: '1.3.132.0.10',
} as const;
