/**
 * Who the card is: its device certificate chain from EF 2F02 (device CVC ||
 * DICA CVC, SC-HSM.md §9), verified to CardContact's SRCA for a real card or to
 * Custos's virtual root for a rehearsal card — which is therefore never taken
 * for production. A compatible card that no known root attests is still
 * identified (by its device key), and marked so. The serial is the device CHR without its 5-character
 * sequence, as OpenSC shows it (SC-HSM.md §1.4).
 */
import { CustosError, isCustosError } from '../../errors/index.ts';
import { createHash } from 'node:crypto';
import {
  CARDCONTACT_SRCA, decodeCvCertificate, serialFromDeviceChr, spkiFromCvcPublicKey, verifyCvcChain, verifyCvcSignature, withInheritedCurve,
  type CvCertificate, type CvcPublicKey,
} from '../../pki/cvc/cvc.ts';
import { children, decodeTlvList } from '../../pki/cvc/tlv.ts';
import type { DeviceAttestation } from '../token.ts';
import { virtualSrcaCertificate } from '../virtual/attestation.ts';
import type { ScHsmCard } from './card.ts';
import { EF_DEVICE_CERTIFICATES } from './commands.ts';

export type Attestation = DeviceAttestation;

export interface DeviceIdentity {
  readonly deviceChr: string;
  readonly serial: string;
  /**
   * Whose root the chain ends at: CardContact's (a real SmartCard-HSM), the
   * virtual one (rehearsal), or none known (a compatible card that certified
   * itself, or one whose issuer Custos does not know).
   */
  readonly attestation: Attestation;
  /** CHRs from the root down to the device; for attestation 'none', the device's alone. */
  readonly path: readonly string[];
  /** The device certificate and its issuer (DICA), as in EF 2F02. */
  readonly chain: readonly CvCertificate[];
  /** PrK.DevAut's public key, with the curve inherited from the chain: it signs every key-generation request. */
  readonly devicePublicKey: CvcPublicKey;
  /** SHA-256 of the device key's DER SubjectPublicKeyInfo, lower-case hex: what tells apart cards of one serial. */
  readonly deviceKeySha256: string;
}

const ROOTS: ReadonlyArray<{ attestation: Attestation; root: () => CvCertificate }> = [
  { attestation: 'cardcontact', root: () => decodeCvCertificate(CARDCONTACT_SRCA) },
  { attestation: 'virtual', root: () => decodeCvCertificate(virtualSrcaCertificate()) },
];

/**
 * EF 2F02's certificates, device first. An authenticated request (67) for the
 * device key stands for its inner 7F21: pico-hsm writes one before its
 * self-issued certificate, with an outer CAR that is empty on a card never
 * re-initialised, so only the inner certificate is read.
 */
export function deviceCertificates(ef2f02: Uint8Array): CvCertificate[] {
  const list = decodeTlvList(ef2f02);
  if (list.length === 0) throw new CustosError('CVC_MALFORMED', 'EF 2F02 holds no device certificate.', {});
  return list.map((tlv) => {
    if (tlv.tag !== 0x67) return decodeCvCertificate(tlv.raw);
    const inner = children(tlv)[0];
    if (inner === undefined || inner.tag !== 0x7f21) throw new CustosError('CVC_MALFORMED', 'The device request (67) in EF 2F02 holds no certificate (7F21).', {});
    return decodeCvCertificate(inner.raw);
  });
}

function fingerprint(key: CvcPublicKey): string {
  return createHash('sha256').update(spkiFromCvcPublicKey(key)).digest('hex');
}

/**
 * The device key of a chain no known root ends: its own key when the
 * certificate carries the curve, else the curve of an issuer in EF 2F02. A
 * self-issued certificate must verify with its own key, so a damaged one is
 * an error, not a card.
 */
function unattestedIdentity(chain: readonly CvCertificate[], cause: unknown): DeviceIdentity {
  const device = chain[0]!;
  let key = device.body.publicKey;
  // At most one step per certificate: a chain that loops back on itself ends the walk.
  let current: CvCertificate | undefined = device;
  for (let step = 0; step < chain.length && current !== undefined && key.kind === 'ec' && key.curve === undefined; step++) {
    const from: CvCertificate = current;
    current = chain.find((c) => c.body.chr === from.body.car && c !== from);
    if (current !== undefined && current.body.publicKey.kind === 'ec') key = withInheritedCurve(key, current.body.publicKey.curve);
  }
  if (key.kind === 'ec' && key.curve === undefined) {
    throw new CustosError('CVC_ISSUER_UNKNOWN',
      `The device certificate ${device.body.chr} does not chain to a known root and does not say its curve: this card cannot be identified.`,
      { chr: device.body.chr }, { cause });
  }
  if (device.body.car === device.body.chr && !verifyCvcSignature(device.bodyRaw, device.signature, key)) {
    throw new CustosError('CVC_SIGNATURE_INVALID', `The self-issued device certificate ${device.body.chr} does not verify with its own key.`, { chr: device.body.chr });
  }
  return {
    deviceChr: device.body.chr, serial: serialFromDeviceChr(device.body.chr), attestation: 'none',
    path: [device.body.chr], chain, devicePublicKey: key, deviceKeySha256: fingerprint(key),
  };
}

/**
 * Verifies EF 2F02's content to a known root. A chain no known root ends is
 * an identity with attestation 'none' (usable only once the operator accepts
 * it); a signature that fails on the way to a known root is
 * CVC_SIGNATURE_INVALID.
 */
export function verifyDeviceCertificates(ef2f02: Uint8Array): DeviceIdentity {
  const chain = deviceCertificates(ef2f02);
  const device = chain[0]!;
  let lastError: unknown;
  for (const { attestation, root } of ROOTS) {
    try {
      const result = verifyCvcChain(chain, [root()]);
      return {
        deviceChr: device.body.chr, serial: serialFromDeviceChr(device.body.chr), attestation,
        path: result.path, chain, devicePublicKey: result.publicKey, deviceKeySha256: fingerprint(result.publicKey),
      };
    } catch (e) {
      if (!isCustosError(e) || e.code !== 'CVC_ISSUER_UNKNOWN') throw e;
      lastError = e;
    }
  }
  return unattestedIdentity(chain, lastError);
}

export async function readDeviceIdentity(card: ScHsmCard): Promise<DeviceIdentity> {
  const ef = await card.readFileIfPresent(EF_DEVICE_CERTIFICATES);
  if (ef === undefined || ef.length === 0) {
    throw new CustosError('CVC_MALFORMED', 'The SmartCard-HSM has no device certificate (EF 2F02): it cannot be identified.', {});
  }
  return verifyDeviceCertificates(ef);
}
