/**
 * Who the card is: its device certificate chain from EF 2F02 (device CVC ||
 * DICA CVC, SC-HSM.md §9), verified to CardContact's SRCA for a real card or to
 * Custos's virtual root for a rehearsal card — which is therefore never taken
 * for production. The serial is the device CHR without its 5-character
 * sequence, as OpenSC shows it (SC-HSM.md §1.4).
 */
import { CustosError, isCustosError } from '../../errors/index.ts';
import {
  CARDCONTACT_SRCA, decodeCvCertificate, decodeCvcChain, serialFromDeviceChr, verifyCvcChain,
  type CvCertificate, type CvcPublicKey,
} from '../../pki/cvc/cvc.ts';
import { virtualSrcaCertificate } from '../virtual/attestation.ts';
import type { ScHsmCard } from './card.ts';
import { EF_DEVICE_CERTIFICATES } from './commands.ts';

export type Attestation = 'cardcontact' | 'virtual';

export interface DeviceIdentity {
  readonly deviceChr: string;
  readonly serial: string;
  /** Whose root the chain ends at: CardContact's (a real SmartCard-HSM) or the virtual one (rehearsal). */
  readonly attestation: Attestation;
  /** CHRs from the root down to the device. */
  readonly path: readonly string[];
  /** The device certificate and its issuer (DICA), as in EF 2F02. */
  readonly chain: readonly CvCertificate[];
  /** PrK.DevAut's public key, with the curve inherited from the chain: it signs every key-generation request. */
  readonly devicePublicKey: CvcPublicKey;
}

const ROOTS: ReadonlyArray<{ attestation: Attestation; root: () => CvCertificate }> = [
  { attestation: 'cardcontact', root: () => decodeCvCertificate(CARDCONTACT_SRCA) },
  { attestation: 'virtual', root: () => decodeCvCertificate(virtualSrcaCertificate()) },
];

/** Verifies EF 2F02's content to a known root; CVC_SIGNATURE_INVALID / CVC_ISSUER_UNKNOWN when it does not chain. */
export function verifyDeviceCertificates(ef2f02: Uint8Array): DeviceIdentity {
  const chain = decodeCvcChain(ef2f02);
  const device = chain[0]!;
  let lastError: unknown;
  for (const { attestation, root } of ROOTS) {
    try {
      const result = verifyCvcChain(chain, [root()]);
      return {
        deviceChr: device.body.chr, serial: serialFromDeviceChr(device.body.chr), attestation,
        path: result.path, chain, devicePublicKey: result.publicKey,
      };
    } catch (e) {
      if (!isCustosError(e) || e.code !== 'CVC_ISSUER_UNKNOWN') throw e;
      lastError = e;
    }
  }
  throw new CustosError('CVC_ISSUER_UNKNOWN',
    `The device certificate ${device.body.chr} does not chain to CardContact's root nor to the virtual root: this card cannot prove it is a SmartCard-HSM; do not use it for CA keys.`,
    { chr: device.body.chr }, { cause: lastError });
}

export async function readDeviceIdentity(card: ScHsmCard): Promise<DeviceIdentity> {
  const ef = await card.readFileIfPresent(EF_DEVICE_CERTIFICATES);
  if (ef === undefined || ef.length === 0) {
    throw new CustosError('CVC_MALFORMED', 'The SmartCard-HSM has no device certificate (EF 2F02): it cannot be identified.', {});
  }
  return verifyDeviceCertificates(ef);
}
