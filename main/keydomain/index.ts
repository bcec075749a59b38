/** Key domains of the SmartCard-HSM: DKEK shares and their files, key blobs and .wky files. */
export { combineShares, kcv, deriveKeys, DKEK_BYTES, KCV_BYTES } from './dkek.ts';
export {
  encryptShareFile, decryptShareFile, encryptShareFileAsync, decryptShareFileAsync, evpBytesToKey, evpBytesToKeyInWorker,
  SHARE_FILE_ITERATIONS, SHARE_FILE_BYTES, type ShareFileOptions,
} from './share-file.ts';
export {
  generateSharePassword, splitSharePassword, recoverSharePassword, formatColonHex, parseColonHex,
  SHARE_PASSWORD_BYTES, type PasswordShare, type PasswordSharing,
} from './password-shares.ts';
export {
  wrapKey, unwrapKey, readKeyBlobHeader, keyFromPlaintext, KEY_TYPE, AES_ALGORITHM_OID, AES_DEFAULT_ALGORITHMS,
  type KeyBlobType, type KeyBlobHeader, type UnwrappedKey, type WrapKeyInput,
} from './key-blob.ts';
export { decodeWky, encodeWky, type WkyFile } from './wky.ts';
export { kdfPath, kdfSlowPathNote, type KdfPath } from './evp-bytes-to-key.ts';
