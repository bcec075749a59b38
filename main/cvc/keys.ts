/**
 * The key of a CV certificate as it verifies: a DV or terminal certificate
 * carries only its EC point, and takes its curve from the certificate chain
 * above it (TR-03110 part 3 §D.3.3), so its key is resolved by walking CAR →
 * CHR up to a certificate that names its curve.
 */
import { CustosError } from '../errors/index.ts';
import { decodeCvCertificate, withInheritedCurve, type CvCertificate, type CvcPublicKey } from '../pki/cvc/cvc.ts';
import type { KeySpec } from '../hsm/token.ts';

/** A certificate's issuer among candidates: the one whose CHR is its CAR (itself, for a self-signed one). */
export function issuerAmong(cert: CvCertificate, candidates: readonly CvCertificate[]): CvCertificate | undefined {
  const car = cert.body.car;
  if (car === undefined) return undefined;
  if (car === cert.body.chr) return cert;
  return candidates.find((c) => c.body.chr === car && c.raw !== cert.raw);
}

/** The certificate's key with its curve resolved from the chain among candidates; unresolved when no issuer names one. */
export function resolvedKey(cert: CvCertificate, candidates: readonly CvCertificate[]): CvcPublicKey {
  let key = cert.body.publicKey;
  let current = cert;
  // At most one step per candidate: a chain that loops ends the walk.
  for (let step = 0; step <= candidates.length && key.kind === 'ec' && key.curve === undefined; step++) {
    const issuer = issuerAmong(current, candidates);
    if (issuer === undefined || issuer === current) break;
    const issuerKey = issuer.body.publicKey;
    if (issuerKey.kind === 'ec' && issuerKey.curve !== undefined) key = withInheritedCurve(key, issuerKey.curve);
    current = issuer;
  }
  return key;
}

export function decodeAll(raws: readonly Uint8Array[]): CvCertificate[] {
  return raws.map((r) => decodeCvCertificate(r));
}

/** The token key spec of a CVC key, when a token could hold it (RSA 2048/3072/4096, EC P-256/384/521). */
export function keySpecOfCvcKey(key: CvcPublicKey): KeySpec | undefined {
  if (key.kind === 'rsa') {
    const bits = key.modulus.length * 8;
    return bits === 2048 || bits === 3072 || bits === 4096 ? { kind: 'rsa', bits } : undefined;
  }
  return key.curve === 'P-256' || key.curve === 'P-384' || key.curve === 'P-521' ? { kind: 'ec', curve: key.curve } : undefined;
}

export function requireCurve(key: CvcPublicKey, chr: string): CvcPublicKey {
  if (key.kind === 'ec' && key.curve === undefined) {
    throw new CustosError('CVC_ISSUER_UNKNOWN', `CV certificate ${chr} carries only its EC point, and no certificate above it at hand names the curve: import its issuer first.`, { chr });
  }
  return key;
}
