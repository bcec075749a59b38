/** Helpers shared by the CVC tests: error codes of a call, and small chains made with node:crypto keys. */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { isCustosError } from '../../../../main/errors/index.ts';
import {
  CVC_OID, cvcPublicKeyFromKeyObject, encodeCvCertificate, encodeCvcBody, signCvc,
  type CvcBody, type CvcCurve, type CvcPublicKey,
} from '../../../../main/pki/cvc/cvc.ts';
import { DOMAIN_PARAMETERS } from '../../../../main/pki/cvc/domain-parameters.ts';

export function codeOf(fn: () => unknown): string | undefined {
  try { fn(); } catch (e) { return isCustosError(e) ? e.code : `UNTYPED ${String(e)}`; }
  return undefined;
}

export function ecKey(curve: CvcCurve): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: DOMAIN_PARAMETERS[curve].nodeCurve });
}

export function rsaKey(bits = 2048): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('rsa', { modulusLength: bits });
}

export interface Issued { readonly raw: Uint8Array; readonly body: CvcBody; }

/** A certificate signed by signer with signOid; its own key uses keyOid. */
export function issue(opts: {
  car: string; chr: string; key: KeyObject; keyOid: string; withDomainParameters: boolean;
  signer: KeyObject; signOid: string; dates?: boolean;
}): Issued {
  const publicKey: CvcPublicKey = cvcPublicKeyFromKeyObject(opts.key, opts.keyOid, opts.withDomainParameters);
  const body: CvcBody = {
    cpi: 0, car: opts.car, publicKey, chr: opts.chr,
    chat: { roleOid: CVC_OID['id-SC-HSM-role'], bits: Uint8Array.of(0xc0) },
    ...(opts.dates !== false && { effectiveDate: new Date(Date.UTC(2026, 0, 1)), expirationDate: new Date(Date.UTC(2036, 0, 1)) }),
  };
  const bodyRaw = encodeCvcBody(body);
  return { raw: encodeCvCertificate(bodyRaw, signCvc(bodyRaw, opts.signer, opts.signOid)), body };
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
