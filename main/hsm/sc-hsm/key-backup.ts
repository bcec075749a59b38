/**
 * The key domain on a SmartCard-HSM (SC-HSM.md §6, §7): DKEK shares in, key
 * blobs out (WRAP KEY) and back in (UNWRAP KEY) on any card of the same domain,
 * i.e. with the same DKEK and so the same KCV. A blob carries the KCV of the
 * DKEK it was made under in its first 8 bytes, so a restore into a foreign
 * domain is refused before the card is asked.
 */
import { createHash, randomBytes } from 'node:crypto';
import { CustosError, isCustosError } from '../../errors/index.ts';
import { decryptShareFileAsync, decodeWky, encodeWky, KEY_TYPE, readKeyBlobHeader, type ShareFileOptions, type WkyFile } from '../../keydomain/index.ts';
import { DOMAIN_PARAMETERS } from '../../pki/cvc/cvc.ts';
import type { Secret } from '../../secret.ts';
import type { KeySpec, SignAlgorithm } from '../token.ts';
import type { DkekStatus, ScHsmCard } from './card.ts';
import { fid, PREFIX_EE_CERTIFICATE, PREFIX_KEY, PREFIX_PRKD } from './commands.ts';
import { deleteCardKey, freeKeyId, keySpecOfSpki, spkiOfPublicObject } from './keys.ts';
import { decodePrivateKeyDescription, encodePrivateKeyDescription, type PrivateKeyDescription } from './pkcs15.ts';
import { signWithCardKey } from './signing.ts';

export interface WrappedKey {
  /** The key blob: KCV (8) || header || AES-CBC ciphertext || CMAC. */
  readonly blob: Uint8Array;
  /** KCV of the DKEK the blob is encrypted under, hex. */
  readonly kcv: string;
  readonly label: string;
  /** CE<id>: the card's CV request or the key's X.509 certificate — the public half needed to use the key again. */
  readonly publicObject: Uint8Array;
  /**
   * C4<id> as the card held it: the key's PKCS#15 description (label, iD that
   * PKCS#11 shows as CKA_ID). Absent when the key had none, as in a .wky that
   * holds only a blob and a certificate.
   */
  readonly prkd?: Uint8Array;
  /** The key reference it was wrapped from, when known (WRAP KEY on this card). */
  readonly keyId?: number;
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

/**
 * WRAP KEY, and what sc-hsm-tool --wrap-key puts beside the blob: the key's
 * PrKD (C4<id>, its label and PKCS#15 iD) and its certificate or CV request
 * (CE<id>), so that a restore on any card of the domain brings all three back.
 */
export async function wrapCardKey(card: ScHsmCard, keyId: number): Promise<WrappedKey> {
  await card.assertAuthenticated();
  requireCompleteDomain(await card.dkekStatus());
  const publicObject = await card.readFileIfPresent(fid(PREFIX_EE_CERTIFICATE, keyId));
  if (publicObject === undefined || publicObject.length === 0) {
    throw new CustosError('KEY_NOT_FOUND', `The SmartCard-HSM holds no key ${keyId} (no public key object CE${keyId.toString(16).padStart(2, '0')}).`, { keyId });
  }
  const stored = await card.readFileIfPresent(fid(PREFIX_PRKD, keyId));
  const prkd = stored !== undefined && stored.length > 0 ? stored : undefined;
  const label = prkd === undefined ? '' : labelOf(prkd);
  const blob = await card.wrapKey(keyId);
  return { blob, kcv: kcvOfBlob(blob), label, publicObject, keyId, ...(prkd && { prkd }) };
}

/** A label the PrKD may not give (a foreign or damaged description) is no reason to refuse a backup. */
function labelOf(prkd: Uint8Array): string {
  try {
    return decodePrivateKeyDescription(prkd).label;
  } catch (e) {
    if (isCustosError(e)) return '';
    throw e;
  }
}

function sizeBitsOf(spec: KeySpec): number {
  return spec.kind === 'rsa' ? spec.bits : DOMAIN_PARAMETERS[spec.curve].fieldBits;
}

/**
 * The .wky file of a wrapped key, as sc-hsm-tool --wrap-key writes it. A key
 * without a PrKD gets one (its label and its old key reference as iD):
 * sc-hsm-tool reads the certificate only as the element after a PrKD.
 */
export function wkyOfWrappedKey(wrapped: WrappedKey): WkyFile {
  const prkd = wrapped.prkd ?? (() => {
    const spec = keySpecOfSpki(spkiOfPublicObject(wrapped.publicObject).spki);
    const id = wrapped.keyId ?? 1;
    return encodePrivateKeyDescription({ kind: spec.kind, label: wrapped.label, id: Uint8Array.of(id), keyReference: id, sizeBits: sizeBitsOf(spec) });
  })();
  return { blob: wrapped.blob, prkd, certificate: wrapped.publicObject };
}

export function encodeWrappedKey(wrapped: WrappedKey): Uint8Array {
  return encodeWky(wkyOfWrappedKey(wrapped));
}

function wkyMalformed(what: string): never {
  throw new CustosError('WKY_MALFORMED', `This .wky file does not hold one key: ${what}. It was altered or put together from different keys; use the file written at the backup.`, {});
}

/**
 * A wrapped key from a .wky file (Custos's or sc-hsm-tool's). Its parts must
 * agree: the PrKD, the certificate and the blob's clear header name the same
 * kind and size of key. Without a certificate there is no public key to check
 * a restore against or to identify the key by: WKY_PUBLIC_KEY_MISSING.
 */
export function wrappedKeyOfWky(file: WkyFile): WrappedKey {
  if (file.certificate === undefined) {
    throw new CustosError('WKY_PUBLIC_KEY_MISSING', 'This .wky file holds no certificate or key request, so Custos cannot tell which key it is or check a restore: wrap the key again with its certificate.', {});
  }
  let spec: KeySpec;
  try {
    spec = keySpecOfSpki(spkiOfPublicObject(file.certificate).spki);
  } catch (e) {
    if (isCustosError(e) && e.code === 'KEY_SPEC_UNSUPPORTED') throw e;
    if (isCustosError(e)) wkyMalformed('its certificate or key request cannot be read');
    throw e;
  }
  let header: ReturnType<typeof readKeyBlobHeader>;
  try {
    header = readKeyBlobHeader(file.blob);
  } catch (e) {
    if (isCustosError(e)) wkyMalformed('its key blob has no valid header');
    throw e;
  }
  const blobKind = header.keyType === KEY_TYPE.ec ? 'ec' : header.keyType === KEY_TYPE.rsa || header.keyType === KEY_TYPE.rsaCrt ? 'rsa' : 'aes';
  if (blobKind !== spec.kind) wkyMalformed(`its blob holds ${blobKind === 'aes' ? 'an AES' : `an ${blobKind.toUpperCase()}`} key, its certificate an ${spec.kind.toUpperCase()} key`);
  let description: PrivateKeyDescription | undefined;
  if (file.prkd !== undefined) {
    try {
      description = decodePrivateKeyDescription(file.prkd);
    } catch (e) {
      if (isCustosError(e)) wkyMalformed('its key description cannot be read');
      throw e;
    }
    if (description.kind !== spec.kind) wkyMalformed(`its key description is for an ${description.kind.toUpperCase()} key, its certificate for an ${spec.kind.toUpperCase()} key`);
  }
  return {
    blob: file.blob, kcv: kcvOfBlob(file.blob), label: description?.label ?? '', publicObject: file.certificate,
    ...(file.prkd && { prkd: file.prkd }),
  };
}

export function decodeWrappedKey(bytes: Uint8Array): WrappedKey {
  return wrappedKeyOfWky(decodeWky(bytes));
}

/** The PKCS#15 iDs (CKA_ID) the card's other keys use, read from their PrKDs. */
async function idsInUse(card: ScHsmCard, except: number): Promise<Set<string>> {
  const ids = new Set<string>();
  const fids = await card.enumerateObjects();
  for (const f of fids) {
    if (f >> 8 !== PREFIX_KEY || (f & 0xff) === 0 || (f & 0xff) === except) continue;
    const prkd = await card.readFileIfPresent(fid(PREFIX_PRKD, f & 0xff));
    if (prkd === undefined || prkd.length === 0) continue;
    try {
      ids.add(Buffer.from(decodePrivateKeyDescription(prkd).id).toString('hex'));
    } catch (e) {
      if (!isCustosError(e)) throw e;
    }
  }
  return ids;
}

/**
 * The PrKD a restored key gets in C4<id>: the label and iD it had, with the
 * key reference of the slot it now sits in. The iD is kept when no other key
 * on this card uses it, so PKCS#11 shows the same CKA_ID on both HSMs; when
 * one does, the new key reference is the iD (Custos's own convention), and
 * failing that the SHA-1 of the public key (OpenSC's intrinsic iD).
 */
async function restoredDescription(card: ScHsmCard, wrapped: WrappedKey, keyId: number, spec: KeySpec, spki: Uint8Array): Promise<Uint8Array> {
  let kept: PrivateKeyDescription | undefined;
  if (wrapped.prkd !== undefined) {
    try {
      kept = decodePrivateKeyDescription(wrapped.prkd);
    } catch (e) {
      if (!isCustosError(e)) throw e;
    }
  }
  const inUse = await idsInUse(card, keyId);
  const free = (id: Uint8Array): boolean => id.length > 0 && !inUse.has(Buffer.from(id).toString('hex'));
  const candidates = [kept?.id, Uint8Array.of(keyId), new Uint8Array(createHash('sha1').update(spki).digest())];
  const id = candidates.find((c): c is Uint8Array => c !== undefined && free(c))!;
  const label = kept?.label ?? wrapped.label;
  // The card's own description, byte for byte, when nothing in it has to change.
  if (kept !== undefined && kept.keyReference === keyId && Buffer.compare(kept.id, id) === 0 && wrapped.prkd !== undefined) return wrapped.prkd;
  return encodePrivateKeyDescription({ kind: spec.kind, label, id, keyReference: keyId, sizeBits: sizeBitsOf(spec) });
}

/** Both send only a hash to the card, so the proof fits the shortest APDU a reader carries. */
const PROOF_ALGORITHM: Record<KeySpec['kind'], SignAlgorithm> = {
  rsa: { scheme: 'rsa-pss', hash: 'SHA-256', saltLengthBytes: 32 },
  ec: { scheme: 'ecdsa', hash: 'SHA-256' },
};

/**
 * The restored key signs a random challenge that the certificate's public key
 * must verify: CE<id> is copied from the file, so only a signature shows that
 * the key behind it is the one the certificate names. A key whose allowed
 * algorithms exclude the test algorithm cannot be proved this way and is kept.
 */
async function proveRestoredKey(card: ScHsmCard, keyId: number, spec: KeySpec, spki: Uint8Array): Promise<void> {
  try {
    await signWithCardKey(card, keyId, spec, spki, PROOF_ALGORITHM[spec.kind], new Uint8Array(randomBytes(32)));
  } catch (e) {
    if (isCustosError(e) && e.code === 'MECHANISM_UNSUPPORTED') return;
    if (isCustosError(e) && e.code === 'SIGN_FAILED') {
      throw new CustosError('KEY_BLOB_INVALID', 'The restored key is not the key its certificate names: the .wky file was put together from different keys. Nothing was restored.', { keyId });
    }
    throw e;
  }
}

/**
 * UNWRAP KEY into a free key id (or the one given), then writes the key's
 * PrKD and certificate back and proves the key signs for that certificate.
 * Returns the key id. The KCV is compared first: a blob from another key
 * domain never reaches the card. If anything after UNWRAP fails, the key and
 * whatever was written for it are deleted again: nothing is left half-restored.
 */
export async function unwrapCardKey(card: ScHsmCard, wrapped: WrappedKey, keyId?: number): Promise<number> {
  await card.assertAuthenticated();
  const status = await card.dkekStatus();
  requireCompleteDomain(status);
  const blobKcv = kcvOfBlob(wrapped.blob);
  if (blobKcv !== status.kcv) {
    throw new CustosError('KCV_MISMATCH', `The key blob belongs to key domain ${blobKcv}, this SmartCard-HSM to ${status.kcv}: restore it on a card of the same key domain.`, { blobKcv, cardKcv: status.kcv });
  }
  const { spki } = spkiOfPublicObject(wrapped.publicObject);
  const spec = keySpecOfSpki(spki);
  const id = keyId ?? await freeKeyId(card);
  const prkd = await restoredDescription(card, wrapped, id, spec, spki);
  try {
    await card.unwrapKey(id, wrapped.blob);
  } catch (e) {
    // The KCVs matched, so the card's "incorrect data" is the blob's CMAC failing: the blob was altered.
    if (isCustosError(e) && e.code === 'KCV_MISMATCH') {
      throw new CustosError('KEY_BLOB_INVALID', 'The SmartCard-HSM refused the key blob: it is of this key domain but does not verify (the file was altered or damaged). Use another copy of the backup.', { blobKcv });
    }
    throw e;
  }
  try {
    await card.writeFile(fid(PREFIX_EE_CERTIFICATE, id), wrapped.publicObject);
    await card.writeFile(fid(PREFIX_PRKD, id), prkd);
    await proveRestoredKey(card, id, spec, spki);
  } catch (e) {
    await deleteCardKey(card, id).catch(() => undefined);
    throw e;
  }
  return id;
}
