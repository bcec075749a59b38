/**
 * Card verifiable certificates as the SmartCard-HSM uses them (BSI TR-03110
 * part 3, appendix C/D; CardContact's device attestation). Byte fields keep
 * the card's encoding: EC values at full field length, r||s signatures.
 */

/**
 * TR-03110 curves the SmartCard-HSM family uses; brainpool is the device attestation curve.
 * secp256k1 is here because SmartCard-HSMs generate keys on it, and a restore must read them.
 */
export type CvcCurve = 'P-256' | 'P-384' | 'P-521' | 'brainpoolP256r1' | 'brainpoolP384r1' | 'brainpoolP512r1' | 'secp256k1';

export type CvcPublicKey =
  | {
      readonly kind: 'rsa';
      /** Algorithm OID (dotted), e.g. id-TA-RSA-v1-5-SHA-256 0.4.0.127.0.7.2.2.2.1.2. */
      readonly oid: string;
      readonly modulus: Uint8Array;
      readonly exponent: Uint8Array;
    }
  | {
      readonly kind: 'ec';
      /** Algorithm OID (dotted), e.g. id-TA-ECDSA-SHA-256 0.4.0.127.0.7.2.2.2.2.3. */
      readonly oid: string;
      /**
       * Absent when the encoding carries only the point (DICA and device certificates):
       * the curve is then the issuer's, see verifyCvcChain.
       */
      readonly curve?: CvcCurve;
      /** Uncompressed point 04||X||Y. */
      readonly publicPoint: Uint8Array;
      /** Domain parameters present in the encoding (roots and key-generation requests carry them; device/DICA certificates may not). */
      readonly withDomainParameters: boolean;
    };

export interface CvcChat {
  readonly roleOid: string;
  readonly bits: Uint8Array;
}

export interface CvcBody {
  /** Certificate profile identifier, 0. */
  readonly cpi: number;
  /** Certification authority reference (issuer), absent in some requests. */
  readonly car?: string;
  readonly publicKey: CvcPublicKey;
  /** Certificate holder reference, 8–16 printable characters on the SmartCard-HSM. */
  readonly chr: string;
  readonly chat?: CvcChat;
  readonly effectiveDate?: Date;
  readonly expirationDate?: Date;
  /** Raw content of tag 65, kept as is. */
  readonly extensions?: Uint8Array;
}

export interface CvCertificate {
  readonly body: CvcBody;
  /** The whole 7F4E TLV: what the signature covers. */
  readonly bodyRaw: Uint8Array;
  /** Plain r||s for ECDSA, the RSA signature for RSA. */
  readonly signature: Uint8Array;
  /** The whole 7F21 TLV. */
  readonly raw: Uint8Array;
}

/** A key-generation request: an inner self-signed 7F21, and for authenticated requests (67) an outer CAR and signature. */
export interface CvRequest {
  readonly inner: CvCertificate;
  readonly outerCar?: string;
  readonly outerSignature?: Uint8Array;
  /** What the outer signature covers: inner 7F21 TLV || 42 TLV. */
  readonly outerSignedRaw?: Uint8Array;
  readonly raw: Uint8Array;
}
