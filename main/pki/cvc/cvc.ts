/**
 * Card verifiable certificates and requests of the SmartCard-HSM: the one entry
 * point the rest of Custos imports. Decoding and encoding live in certificate.ts,
 * keys in public-key.ts, signatures in signature.ts, chains in chain.ts.
 */
export {
  decodeCvCertificate, decodeCvRequest, decodeCvcChain, decodeCvcBody,
  encodeCvcBody, encodeCvCertificate, encodeAuthenticatedRequest, outerSignedBytes,
} from './certificate.ts';
export { signCvc, verifyCvcSignature } from './signature.ts';
export {
  cvcPublicKeyFromSpki, spkiFromCvcPublicKey, cvcPublicKeyFromKeyObject, keyObjectFromCvcPublicKey,
  decodeCvcPublicKey, encodeCvcPublicKey, withInheritedCurve, type DomainParameterEncoding,
} from './public-key.ts';
export { DOMAIN_PARAMETERS, identifyCurve, sameBasePoint, curveByNamedOid, type DomainParameters } from './domain-parameters.ts';
export { CVC_OID, CURVE_OID, SC_HSM_ROLE_BITS, cvcAlgorithm, type CvcAlgorithm, type CvcHash, type CvcSignatureOid } from './oids.ts';
export {
  isValidHolderReference, decodeHolderReference, encodeHolderReference, serialFromDeviceChr,
  HOLDER_REFERENCE_MIN_CHARS, HOLDER_REFERENCE_MAX_CHARS,
} from './holder-reference.ts';
export { encodeCvcDate, decodeCvcDate } from './cvc-date.ts';
export { sameBytes, stripLeadingZeros, bigintFromBytes, bytesFromBigint } from './bytes.ts';
export { verifyCvcChain, type CvcChainResult } from './chain.ts';
export { verifyCvRequest, type CvRequestCheck } from './request.ts';
export { CARDCONTACT_SRCA, CARDCONTACT_SRCA_CHR } from './srca.ts';
export type { CvCertificate, CvcBody, CvcChat, CvcCurve, CvcPublicKey, CvRequest } from './types.ts';
