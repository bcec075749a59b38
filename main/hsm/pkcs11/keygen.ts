/**
 * The templates for a key pair Custos generates on a token: the private key is
 * a token object, private, sensitive, never extractable, and signs only (a CA
 * key decrypts and unwraps nothing); the public key verifies.
 */
import type { Mechanism, Template } from 'pkcs11js';
import { CustosError } from '../../errors/index.ts';
import type { KeySpec } from '../token.ts';
import { CK } from './api.ts';
import { CURVES, ecParamsFor } from './spki.ts';

export interface KeyGenOptions {
  /** Mark the private key CKA_ALWAYS_AUTHENTICATE: the PIN is asked again before each signature. */
  readonly alwaysAuthenticate?: boolean;
}

export interface KeyPairTemplates {
  readonly mechanism: Mechanism;
  readonly publicTemplate: Template;
  readonly privateTemplate: Template;
}

const RSA_BITS: readonly number[] = [2048, 3072, 4096];
const F4 = Buffer.from([0x01, 0x00, 0x01]); // e = 65537

export function describeSpec(spec: KeySpec): string {
  return spec.kind === 'rsa' ? `RSA-${spec.bits}` : `EC ${spec.curve}`;
}

export function assertSupportedSpec(spec: KeySpec): void {
  const supported = spec.kind === 'rsa' ? RSA_BITS.includes(spec.bits) : spec.kind === 'ec' && spec.curve in CURVES;
  if (!supported) {
    throw new CustosError('KEY_SPEC_UNSUPPORTED',
      'Choose RSA 2048, 3072 or 4096, or EC P-256, P-384 or P-521.', { spec: JSON.stringify(spec) });
  }
}

/** The key-generation mechanism the token must list for this spec. */
export function keyGenMechanism(spec: KeySpec): number {
  return spec.kind === 'rsa' ? CK.CKM_RSA_PKCS_KEY_PAIR_GEN : CK.CKM_EC_KEY_PAIR_GEN;
}

export function keyPairTemplates(spec: KeySpec, label: string, ckaId: Buffer, options: KeyGenOptions = {}): KeyPairTemplates {
  assertSupportedSpec(spec);
  const common: Template = [
    { type: CK.CKA_TOKEN, value: true },
    { type: CK.CKA_LABEL, value: label },
    { type: CK.CKA_ID, value: ckaId },
  ];
  const publicTemplate: Template = [
    ...common,
    { type: CK.CKA_CLASS, value: CK.CKO_PUBLIC_KEY },
    { type: CK.CKA_PRIVATE, value: false },
    { type: CK.CKA_VERIFY, value: true },
    { type: CK.CKA_ENCRYPT, value: false },
    { type: CK.CKA_WRAP, value: false },
  ];
  const privateTemplate: Template = [
    ...common,
    { type: CK.CKA_CLASS, value: CK.CKO_PRIVATE_KEY },
    { type: CK.CKA_PRIVATE, value: true },
    { type: CK.CKA_SENSITIVE, value: true },
    { type: CK.CKA_EXTRACTABLE, value: false },
    { type: CK.CKA_SIGN, value: true },
    { type: CK.CKA_DECRYPT, value: false },
    { type: CK.CKA_UNWRAP, value: false },
  ];
  if (options.alwaysAuthenticate === true) privateTemplate.push({ type: CK.CKA_ALWAYS_AUTHENTICATE, value: true });
  if (spec.kind === 'rsa') {
    publicTemplate.push(
      { type: CK.CKA_KEY_TYPE, value: CK.CKK_RSA },
      { type: CK.CKA_MODULUS_BITS, value: spec.bits },
      { type: CK.CKA_PUBLIC_EXPONENT, value: F4 },
    );
    privateTemplate.push({ type: CK.CKA_KEY_TYPE, value: CK.CKK_RSA });
  } else {
    publicTemplate.push(
      { type: CK.CKA_KEY_TYPE, value: CK.CKK_EC },
      { type: CK.CKA_EC_PARAMS, value: Buffer.from(ecParamsFor(spec.curve)) },
    );
    privateTemplate.push({ type: CK.CKA_KEY_TYPE, value: CK.CKK_EC }, { type: CK.CKA_DERIVE, value: false });
  }
  return { mechanism: { mechanism: keyGenMechanism(spec) }, publicTemplate, privateTemplate };
}
