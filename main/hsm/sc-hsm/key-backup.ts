/**
 * The key domain on a SmartCard-HSM (SC-HSM.md §6, §7): DKEK shares in, key
 * blobs out (WRAP KEY) and back in (UNWRAP KEY) on any card of the same domain,
 * i.e. with the same DKEK and so the same KCV. A blob carries the KCV of the
 * DKEK it was made under in its first 8 bytes, so a restore into a foreign
 * domain is refused before the card is asked.
 */
import { CustosError, isCustosError } from '../../errors/index.ts';
import { decryptShareFileAsync, type ShareFileOptions } from '../../keydomain/index.ts';
import type { Secret } from '../../secret.ts';
import type { DkekStatus, ScHsmCard } from './card.ts';
import { fid, PREFIX_EE_CERTIFICATE, PREFIX_PRKD } from './commands.ts';
import { freeKeyId, keySpecOfSpki, spkiOfPublicObject, writeKeyLabel } from './keys.ts';
import { decodePrivateKeyDescription } from './pkcs15.ts';

export interface WrappedKey {
  /** The key blob: KCV (8) || header || AES-CBC ciphertext || CMAC. */
  readonly blob: Uint8Array;
  /** KCV of the DKEK the blob is encrypted under, hex. */
  readonly kcv: string;
  readonly label: string;
  /** CE<id>: the card's CV request or the key's X.509 certificate — the public half needed to use the key again. */
  readonly publicObject: Uint8Array;
}

const KCV_BYTES = 8;

export function kcvOfBlob(blob: Uint8Array): string {
  if (blob.length <= KCV_BYTES) throw new CustosError('KEY_BLOB_INVALID', 'The key blob is too short to be a SmartCard-HSM key blob.', { bytes: blob.length });
  return Buffer.from(blob.subarray(0, KCV_BYTES)).toString('hex');
}

/** Adds one 32-byte DKEK share; returns the domain's status after it. */
export async function importDkekShare(card: ScHsmCard, share: Uint8Array): Promise<DkekStatus> {
  await card.assertAuthenticated().catch((e: unknown) => {
    // IMPORT DKEK SHARE works without a login on the card; only a lost login is worth stopping for.
    if (isCustosError(e) && e.code === 'AUTH_STATE_LOST') throw e;
  });
  return await card.importDkekShare(share);
}

/**
 * Decrypts a DKEK share file (sc-hsm-tool's format, SC-HSM.md §6) with its
 * password and imports the share; the plain share is wiped after use.
 */
export async function importDkekShareFile(card: ScHsmCard, file: Uint8Array, password: Secret, options: ShareFileOptions = {}): Promise<DkekStatus> {
  const share = await decryptShareFileAsync(file, password, options);
  try {
    return await importDkekShare(card, share);
  } finally {
    share.fill(0);
  }
}

function requireCompleteDomain(status: DkekStatus): void {
  if (status.totalShares === 0 && status.outstandingShares === 0 && /^0+$/.test(status.kcv)) {
    throw new CustosError('DKEK_INCOMPLETE', 'This SmartCard-HSM has no key domain (it was initialized without DKEK shares): re-initialize it with DKEK shares for key backup.', {});
  }
  if (status.outstandingShares > 0) {
    throw new CustosError('DKEK_INCOMPLETE', `The key domain still needs ${status.outstandingShares} of ${status.totalShares} DKEK shares: import them before backing up or restoring keys.`, { outstandingShares: status.outstandingShares, totalShares: status.totalShares });
  }
}

/** WRAP KEY: the blob plus the key's label and public object, everything a restore needs. */
export async function wrapCardKey(card: ScHsmCard, keyId: number): Promise<WrappedKey> {
  await card.assertAuthenticated();
  requireCompleteDomain(await card.dkekStatus());
  const publicObject = await card.readFileIfPresent(fid(PREFIX_EE_CERTIFICATE, keyId));
  if (publicObject === undefined) throw new CustosError('KEY_NOT_FOUND', `The SmartCard-HSM holds no key ${keyId} (no public key object CE${keyId.toString(16).padStart(2, '0')}).`, { keyId });
  const prkd = await card.readFileIfPresent(fid(PREFIX_PRKD, keyId));
  const label = prkd !== undefined && prkd.length > 0 ? decodePrivateKeyDescription(prkd).label : '';
  const blob = await card.wrapKey(keyId);
  return { blob, kcv: kcvOfBlob(blob), label, publicObject };
}

/**
 * UNWRAP KEY into a free key id (or the one given), then writes the label and
 * public object back. Returns the key id. The KCV is compared first: a blob
 * from another key domain never reaches the card.
 */
export async function unwrapCardKey(card: ScHsmCard, wrapped: WrappedKey, keyId?: number): Promise<number> {
  await card.assertAuthenticated();
  const status = await card.dkekStatus();
  requireCompleteDomain(status);
  const blobKcv = kcvOfBlob(wrapped.blob);
  if (blobKcv !== status.kcv) {
    throw new CustosError('KCV_MISMATCH', `The key blob belongs to key domain ${blobKcv}, this SmartCard-HSM to ${status.kcv}: restore it on a card of the same key domain.`, { blobKcv, cardKcv: status.kcv });
  }
  const spec = keySpecOfSpki(spkiOfPublicObject(wrapped.publicObject).spki);
  const id = keyId ?? await freeKeyId(card);
  await card.unwrapKey(id, wrapped.blob);
  await card.writeFile(fid(PREFIX_EE_CERTIFICATE, id), wrapped.publicObject);
  await writeKeyLabel(card, id, spec, wrapped.label);
  return id;
}
