/**
 * Verifies a CV certificate chain to a trust anchor, the way CardContact's
 * `SmartCardHSM.validateCertificateChain` (scsh-scripts) walks EF 2F02: device
 * certificate → DICA → SRCA, each CAR naming the issuer's CHR. DICA and device
 * certificates carry only the EC point, so each inherits its issuer's curve, and
 * each signature is checked with the issuer key's algorithm OID.
 */
import { CustosError } from '../../errors/index.ts';
import type { CvCertificate, CvcPublicKey } from './types.ts';
import { verifyCvcSignature } from './signature.ts';
import { withInheritedCurve } from './public-key.ts';
import { sameBytes } from './bytes.ts';

export interface CvcChainResult {
  readonly ok: true;
  /** CHRs from the trust anchor down to the first certificate given. */
  readonly path: string[];
  /** The first certificate's key, its curve inherited from the chain when it carries only the point. */
  readonly publicKey: CvcPublicKey;
}

function checkSignature(cert: CvCertificate, issuerKey: CvcPublicKey): void {
  if (!verifyCvcSignature(cert.bodyRaw, cert.signature, issuerKey)) {
    throw new CustosError('CVC_SIGNATURE_INVALID', `The signature on CV certificate ${cert.body.chr} does not verify with its issuer's key.`, { chr: cert.body.chr });
  }
}

/**
 * Resolves certs[0] through CAR → CHR links to one of trustAnchors and verifies
 * every signature on the way, the anchor's self-signature included. Throws
 * CVC_SIGNATURE_INVALID naming the CHR whose signature fails, CVC_ISSUER_UNKNOWN
 * when a CAR names no certificate at hand.
 */
export function verifyCvcChain(certs: readonly CvCertificate[], trustAnchors: readonly CvCertificate[]): CvcChainResult {
  const leaf = certs[0];
  if (leaf === undefined) throw new CustosError('CVC_MALFORMED', 'No CV certificate to verify.', {});
  const isAnchor = (c: CvCertificate): boolean => trustAnchors.some((a) => sameBytes(a.raw, c.raw));

  // Leaf first, anchor last. Anchors win over look-alikes in certs: a chain cannot bring its own root.
  const upward: CvCertificate[] = [leaf];
  let current = leaf;
  while (!isAnchor(current)) {
    const car = current.body.car;
    const issuer = car === undefined ? undefined
      : trustAnchors.find((a) => a.body.chr === car) ?? certs.find((c) => c.body.chr === car && c !== current);
    if (issuer === undefined || car === undefined) {
      throw new CustosError('CVC_ISSUER_UNKNOWN', `No certificate for the issuer ${car ?? '(none)'} of CV certificate ${current.body.chr}: add the issuer or trust its root.`, { chr: current.body.chr, car: car ?? null });
    }
    if (upward.includes(issuer)) {
      throw new CustosError('CVC_ISSUER_UNKNOWN', `CV certificate ${current.body.chr} does not lead to a trusted root.`, { chr: current.body.chr });
    }
    upward.push(issuer);
    current = issuer;
  }

  const downward = upward.reverse();
  const anchor = downward[0]!;
  const anchorKey = anchor.body.publicKey;
  if (anchorKey.kind === 'ec' && anchorKey.curve === undefined) {
    throw new CustosError('CVC_MALFORMED', `The trust anchor ${anchor.body.chr} carries no EC domain parameters.`, { chr: anchor.body.chr });
  }
  if (anchor.body.car !== anchor.body.chr) {
    throw new CustosError('CVC_ISSUER_UNKNOWN', `The trust anchor ${anchor.body.chr} is not self-signed.`, { chr: anchor.body.chr });
  }
  checkSignature(anchor, anchorKey);
  let issuerKey = anchorKey;
  for (const cert of downward.slice(1)) {
    checkSignature(cert, issuerKey);
    issuerKey = withInheritedCurve(cert.body.publicKey, issuerKey.kind === 'ec' ? issuerKey.curve : undefined);
  }
  return { ok: true, path: downward.map((c) => c.body.chr), publicKey: issuerKey };
}
