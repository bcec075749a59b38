/**
 * Checks a key-generation request: the inner signature proves possession of the
 * new key (it signs the 7F4E body with that key), the outer one that the device
 * named by the outer CAR made the key (it signs inner 7F21 || 42 outer CAR).
 */
import type { CvcPublicKey, CvRequest } from './types.ts';
import { verifyCvcSignature } from './signature.ts';

export interface CvRequestCheck {
  readonly innerSignatureValid: boolean;
  /** Present when the request is authenticated (67) and the outer key was given. */
  readonly outerSignatureValid?: boolean;
}

/**
 * outerKey is the device key of the outer CAR, with its curve resolved
 * (verifyCvcChain(...).publicKey of the device's EF 2F02 chain).
 */
export function verifyCvRequest(request: CvRequest, outerKey?: CvcPublicKey): CvRequestCheck {
  const innerSignatureValid = verifyCvcSignature(request.inner.bodyRaw, request.inner.signature, request.inner.body.publicKey);
  if (outerKey === undefined || request.outerSignedRaw === undefined || request.outerSignature === undefined) return { innerSignatureValid };
  return { innerSignatureValid, outerSignatureValid: verifyCvcSignature(request.outerSignedRaw, request.outerSignature, outerKey) };
}
