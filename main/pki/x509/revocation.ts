/**
 * What a revocation records: the reason codes of RFC 5280 §5.3.1 by their
 * spec names, and one revoked certificate as a CRL entry carries it.
 */
import { z } from 'zod';

/** RFC 5280 §5.3.1 CRLReason. Value 7 is unused in the spec and so absent here. */
export const CRL_REASON_CODES = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;

export type CrlReason = keyof typeof CRL_REASON_CODES;

export const CRL_REASONS = Object.keys(CRL_REASON_CODES) as readonly CrlReason[];

export const CrlReasonSchema = z.enum(CRL_REASONS as [CrlReason, ...CrlReason[]]);

/** The reason name for a CRLReason value read from a CRL, or undefined for a value RFC 5280 does not define. */
export function crlReasonName(code: number): CrlReason | undefined {
  return CRL_REASONS.find((r) => CRL_REASON_CODES[r] === code);
}

/** Serial numbers as lower- or upper-case hex, at most 20 octets (RFC 5280 §4.1.2.2) once leading zeros are dropped. */
export const SerialHexSchema = z.string().regex(/^[0-9a-fA-F]{1,42}$/, 'a serial number is 1 to 20 octets of hexadecimal');

export interface RevokedEntry {
  readonly serialHex: string;
  readonly revocationDate: Date;
  readonly reason?: CrlReason;
  /** When the key is known or suspected to have been compromised (RFC 5280 §5.3.2). */
  readonly invalidityDate?: Date;
}

export const RevokedEntrySchema = z.object({
  serialHex: SerialHexSchema,
  revocationDate: z.date(),
  reason: CrlReasonSchema.optional(),
  invalidityDate: z.date().optional(),
}).strict();
