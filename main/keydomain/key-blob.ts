/**
 * The SmartCard-HSM key blob, WRAP KEY's output and UNWRAP KEY's input (SC-HSM.md
 * §7, CardContact DKEK.js `encodeKey`/`dumpKeyBLOB`, pico-hsm `dkek_encode_key`):
 *
 *   KCV (8) || key type (1) || 4 × (2-byte length || value): default algorithm OID
 *   content, allowed algorithm ids, access conditions, key OID ||
 *   AES-256-CBC(K_enc, zero IV)(8 random || 2-byte key size || components, padded) ||
 *   AES-CMAC(K_mac) over everything before it (16).
 */
import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { cmac } from '@noble/ciphers/aes.js';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { ECParameters, ECPrivateKey } from '@peculiar/asn1-ecc';
import { CustosError } from '../errors/index.ts';
import { CVC_OID } from '../pki/cvc/oids.ts';
import { DOMAIN_PARAMETERS, curveByNamedOid, identifyCurve, sameBasePoint } from '../pki/cvc/domain-parameters.ts';
import { cvcPublicKeyFromKeyObject } from '../pki/cvc/public-key.ts';
import { oidFromContent, oidToContent } from '../pki/cvc/object-identifier.ts';
import type { CvcCurve } from '../pki/cvc/types.ts';
import { KCV_BYTES, deriveKeys, kcv } from './dkek.ts';
import { componentsFromCrt, componentsFromPrivateExponent, rsaKeyObject, rsaPrivateParts } from './rsa-components.ts';
import { bigintFromBytes, bytesFromBigint } from '../pki/cvc/bytes.ts';
import { concatBytes as concat } from '../pki/cvc/tlv.ts';

export const KEY_TYPE = { rsa: 0x05, rsaCrt: 0x06, ec: 0x0c, aes: 0x0f } as const;
export type KeyBlobType = (typeof KEY_TYPE)[keyof typeof KEY_TYPE];

/** AES key algorithm OID 2.16.840.1.101.3.4.1 the card writes for AES keys (DKEK.js). */
export const AES_ALGORITHM_OID = '2.16.840.1.101.3.4.1';
/** AES encrypt, decrypt, CMAC, derive: what DKEK.js allows a wrapped AES key by default. */
export const AES_DEFAULT_ALGORITHMS = Uint8Array.of(0x10, 0x11, 0x18, 0x99);
const CMAC_BYTES = 16;
const RANDOM_PREFIX_BYTES = 8;

export interface WrapKeyInput {
  readonly dkek: Uint8Array;
  readonly key: KeyObject | { readonly aes: Uint8Array };
  /** Algorithm ids the card will allow the key (SIGN/DECIPHER/CIPHER algo bytes); default none for RSA/EC, AES 10 11 18 99. */
  readonly allowedAlgorithms?: Uint8Array;
}

export interface KeyBlobHeader {
  readonly kcv: Uint8Array;
  readonly keyType: KeyBlobType;
  /** Dotted default algorithm OID, or undefined when the card wrote one that does not parse (AES on firmware 3.0–3.2, per DKEK.js). */
  readonly algorithmOid: string | undefined;
  readonly allowedAlgorithms: Uint8Array;
  readonly accessConditions: Uint8Array;
  readonly keyOid: Uint8Array;
}

export interface UnwrappedKey extends KeyBlobHeader {
  /** RSA key size in modulus bits, EC in field bits rounded to bytes (P-521 reads 528), AES in key bits. */
  readonly keySizeBits: number;
  readonly keyObject?: KeyObject;
  readonly curve?: CvcCurve;
  readonly aes?: Uint8Array;
}

function invalid(what: string): never {
  throw new CustosError('KEY_BLOB_INVALID', `The key blob is not valid: ${what}.`, {});
}

function u16(value: number): Uint8Array {
  return Uint8Array.of(value >> 8, value & 0xff);
}

function lv(value: Uint8Array): Uint8Array {
  if (value.length > 0xffff) throw new CustosError('INPUT_INVALID', 'A key blob field is longer than 65535 bytes.', {});
  return concat(u16(value.length), value);
}

function leftPad(bytes: Uint8Array, length: number): Uint8Array {
  if (bytes.length >= length) return bytes;
  const out = new Uint8Array(length);
  out.set(bytes, length - bytes.length);
  return out;
}

/** A cursor over 2-byte-length fields; running past the end is KEY_BLOB_INVALID. */
class Reader {
  offset = 0;
  constructor(private readonly bytes: Uint8Array, private readonly what: string) {}
  take(n: number): Uint8Array {
    if (this.offset + n > this.bytes.length) invalid(`${this.what} ends early`);
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
  u16(): number { const b = this.take(2); return (b[0]! << 8) | b[1]!; }
  field(): Uint8Array { return this.take(this.u16()); }
}

/** ISO/IEC 9797-1 method 2 (80 00…) to a 16-byte multiple; DKEK.js pads to 8 and adds 8 zeros, which is the same bytes. */
function pad(plain: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil((plain.length + 1) / 16) * 16);
  out.set(plain, 0);
  out[plain.length] = 0x80;
  return out;
}

function aesCbc(encrypt: boolean, key: Uint8Array, data: Uint8Array): Uint8Array {
  const make = encrypt ? createCipheriv : createDecipheriv;
  const c = make('aes-256-cbc', key, new Uint8Array(16)).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
}

function ecComponents(key: KeyObject): { curve: CvcCurve; plain: Uint8Array[] } {
  const sec1 = AsnConvert.parse(key.export({ format: 'der', type: 'sec1' }), ECPrivateKey);
  const namedCurve = sec1.parameters?.namedCurve;
  const curve = namedCurve === undefined ? undefined : curveByNamedOid(namedCurve);
  if (curve === undefined) throw new CustosError('KEY_SPEC_UNSUPPORTED', 'This EC curve cannot be wrapped for a SmartCard-HSM.', { namedCurve: namedCurve ?? 'explicit' });
  const d = DOMAIN_PARAMETERS[curve];
  const point = cvcPublicKeyFromKeyObject(key, CVC_OID['id-TA-ECDSA-SHA-256'], false);
  const q = point.kind === 'ec' ? point.publicPoint : new Uint8Array();
  const privateValue = leftPad(new Uint8Array(sec1.privateKey.buffer), d.fieldBytes);
  return { curve, plain: [d.a, d.b, d.p, d.order, d.g, privateValue, q].map(lv) };
}

/** Wraps a private RSA or EC key (a node:crypto KeyObject) or raw AES key bytes under the DKEK, as WRAP KEY would. */
export function wrapKey(input: WrapKeyInput): Uint8Array {
  const { kEnc, kMac } = deriveKeys(input.dkek);
  let keyType: KeyBlobType;
  let algorithmOid: string;
  let body: Uint8Array[];
  let allowed = input.allowedAlgorithms ?? new Uint8Array();
  if ('aes' in input.key) {
    const aes = input.key.aes;
    if (![16, 24, 32].includes(aes.length)) throw new CustosError('KEY_SPEC_UNSUPPORTED', 'An AES key is 16, 24 or 32 bytes.', { length: aes.length });
    keyType = KEY_TYPE.aes;
    algorithmOid = AES_ALGORITHM_OID;
    allowed = input.allowedAlgorithms ?? AES_DEFAULT_ALGORITHMS;
    // AES: the size field counts bytes and the key follows without a length (DKEK.js encodeAESKey).
    body = [u16(aes.length), aes];
  } else {
    const key = input.key;
    if (key.type !== 'private') throw new CustosError('INPUT_INVALID', 'Only a private key can be wrapped.', {});
    if (key.asymmetricKeyType === 'rsa') {
      // Type 05 (d, n, e) for every size: DKEK.js writes it above 2048 bits, pico-hsm always.
      const { n, e, d } = rsaPrivateParts(key);
      keyType = KEY_TYPE.rsa;
      algorithmOid = CVC_OID['id-TA-RSA-v1-5-SHA-256'];
      body = [u16(n.length * 8), lv(d), lv(n), lv(e)];
    } else if (key.asymmetricKeyType === 'ec') {
      const { curve, plain } = ecComponents(key);
      keyType = KEY_TYPE.ec;
      algorithmOid = CVC_OID['id-TA-ECDSA-SHA-256'];
      body = [u16(DOMAIN_PARAMETERS[curve].fieldBytes * 8), ...plain];
    } else {
      throw new CustosError('KEY_SPEC_UNSUPPORTED', `A ${key.asymmetricKeyType ?? 'unknown'} key cannot be wrapped for a SmartCard-HSM.`, {});
    }
  }
  const header = concat(kcv(input.dkek), Uint8Array.of(keyType), lv(oidToContent(algorithmOid)), lv(allowed), lv(new Uint8Array()), lv(new Uint8Array()));
  const plain = pad(concat(new Uint8Array(randomBytes(RANDOM_PREFIX_BYTES)), ...body));
  const encrypted = aesCbc(true, kEnc, plain);
  plain.fill(0);
  const macInput = concat(header, encrypted);
  return concat(macInput, cmac(macInput, kMac));
}

/** The clear header of a blob: its KCV names the key domain it needs. */
export function readKeyBlobHeader(blob: Uint8Array): KeyBlobHeader & { readonly encryptedOffset: number } {
  const r = new Reader(blob, 'the header');
  const blobKcv = Uint8Array.from(r.take(KCV_BYTES));
  const keyType = r.take(1)[0]!;
  if (!(Object.values(KEY_TYPE) as number[]).includes(keyType)) invalid(`unknown key type ${keyType}`);
  const oidContent = r.field();
  let algorithmOid: string | undefined;
  try { algorithmOid = oidFromContent(oidContent, 'KEY_BLOB_INVALID'); } catch { algorithmOid = undefined; }
  const allowedAlgorithms = Uint8Array.from(r.field());
  const accessConditions = Uint8Array.from(r.field());
  const keyOid = Uint8Array.from(r.field());
  return { kcv: blobKcv, keyType: keyType as KeyBlobType, algorithmOid, allowedAlgorithms, accessConditions, keyOid, encryptedOffset: r.offset };
}

/**
 * Unwraps a blob with the DKEK, as UNWRAP KEY would. A blob of another key domain
 * is KCV_MISMATCH (checked first, so the message can name the domain); a blob that
 * fails its CMAC or whose contents do not parse is KEY_BLOB_INVALID.
 */
export function unwrapKey(blob: Uint8Array, dkek: Uint8Array): UnwrappedKey {
  const expected = kcv(dkek);
  if (blob.length < KCV_BYTES) invalid('it is shorter than its key check value');
  if (!timingSafeEqual(blob.subarray(0, KCV_BYTES), expected)) {
    throw new CustosError('KCV_MISMATCH', 'This key blob belongs to another key domain: its KCV differs from the DKEK\'s.', {
      blobKcv: Buffer.from(blob.subarray(0, KCV_BYTES)).toString('hex'), dkekKcv: Buffer.from(expected).toString('hex'),
    });
  }
  const { encryptedOffset, ...header } = readKeyBlobHeader(blob);
  const encryptedLength = blob.length - CMAC_BYTES - encryptedOffset;
  if (encryptedLength <= 0 || encryptedLength % 16 !== 0) invalid('the encrypted key is not a whole number of AES blocks');
  const { kEnc, kMac } = deriveKeys(dkek);
  const macInput = blob.subarray(0, blob.length - CMAC_BYTES);
  if (!timingSafeEqual(cmac(macInput, kMac), blob.subarray(blob.length - CMAC_BYTES))) invalid('its CMAC does not verify');
  const plain = aesCbc(false, kEnc, blob.subarray(encryptedOffset, blob.length - CMAC_BYTES));
  try {
    return { ...header, ...keyFromPlaintext(header.keyType, plain) };
  } finally {
    plain.fill(0);
  }
}

/**
 * The key inside a decrypted blob: 8 random bytes, the key size, then the type's
 * components. Padding after the last component is ignored (DKEK.js and pico-hsm pad differently).
 */
export function keyFromPlaintext(keyType: KeyBlobType, plain: Uint8Array): Pick<UnwrappedKey, 'keySizeBits' | 'keyObject' | 'curve' | 'aes'> {
  const r = new Reader(plain, 'the key data');
  r.take(RANDOM_PREFIX_BYTES);
  const size = r.u16();
  switch (keyType) {
    case KEY_TYPE.aes: {
      if (![16, 24, 32].includes(size)) invalid(`an AES key of ${size} bytes`);
      return { keySizeBits: size * 8, aes: Uint8Array.from(r.take(size)) };
    }
    case KEY_TYPE.rsa: {
      const [d, n, e] = [r.field(), r.field(), r.field()].map(bigintFromBytes) as [bigint, bigint, bigint];
      const c = componentsFromPrivateExponent(n, e, d);
      if (c === undefined) invalid('its RSA exponents do not belong to its modulus');
      return { keySizeBits: size, keyObject: rsaKeyObject(c) };
    }
    case KEY_TYPE.rsaCrt: {
      const [, , p, , q, n, e] = Array.from({ length: 7 }, () => bigintFromBytes(r.field())) as [bigint, bigint, bigint, bigint, bigint, bigint, bigint];
      const c = componentsFromCrt(n, e, p, q);
      if (c === undefined) invalid('its RSA primes do not make its modulus');
      return { keySizeBits: size, keyObject: rsaKeyObject(c) };
    }
    case KEY_TYPE.ec: {
      const [a, b, p, order, g, d, q] = Array.from({ length: 7 }, () => r.field()) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
      const curve = identifyCurve(p, a);
      if (curve === undefined) invalid('its EC domain parameters name no supported curve');
      const dp = DOMAIN_PARAMETERS[curve];
      if (bigintFromBytes(b) !== bigintFromBytes(dp.b) || bigintFromBytes(order) !== bigintFromBytes(dp.order) || !sameBasePoint(g, curve)) invalid(`its EC domain parameters differ from ${curve}`);
      const scalar = bigintFromBytes(d);
      if (scalar === 0n || scalar >= bigintFromBytes(dp.order)) invalid('its EC private value is out of range');
      let keyObject: KeyObject;
      try {
        const sec1 = new ECPrivateKey({
          version: 1,
          privateKey: new OctetString(leftPad(bytesFromBigint(scalar), dp.order.length)),
          parameters: new ECParameters({ namedCurve: dp.namedCurveOid }),
        });
        keyObject = createPrivateKey({ key: Buffer.from(AsnConvert.serialize(sec1)), format: 'der', type: 'sec1' });
      } catch {
        invalid('its EC private value is not a key');
      }
      const derived = cvcPublicKeyFromKeyObject(createPublicKey(keyObject), CVC_OID['id-TA-ECDSA-SHA-256'], false);
      if (derived.kind !== 'ec' || Buffer.compare(derived.publicPoint, q) !== 0) invalid('its EC public point does not match its private value');
      return { keySizeBits: size, keyObject, curve };
    }
    default:
      return invalid(`unknown key type ${String(keyType)}`);
  }
}
