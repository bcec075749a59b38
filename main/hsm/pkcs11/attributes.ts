/**
 * Finding objects and reading their attributes. pkcs11js hands every value back
 * as bytes: CK_BBOOL is one byte, CK_ULONG is the platform's native long (little-endian on
 * every platform Custos ships for: x86-64 and arm64).
 */
import type { Template } from 'pkcs11js';
import { CK, type Handle, type Pkcs11Api } from './api.ts';
import { isCkr } from './errors.ts';

const FIND_BATCH = 64;

export function findObjects(api: Pkcs11Api, session: Handle, template: Template): Handle[] {
  api.C_FindObjectsInit(session, template);
  const found: Handle[] = [];
  try {
    for (;;) {
      const batch = api.C_FindObjects(session, FIND_BATCH);
      found.push(...batch);
      if (batch.length < FIND_BATCH) break;
    }
  } finally {
    api.C_FindObjectsFinal(session);
  }
  return found;
}

/**
 * One attribute's bytes, or undefined when the token does not have it for this
 * object (CKR_ATTRIBUTE_TYPE_INVALID) or will not show it (CKR_ATTRIBUTE_SENSITIVE).
 * One attribute per call: C_GetAttributeValue fails as a whole when one is missing.
 */
export function readAttribute(api: Pkcs11Api, session: Handle, object: Handle, type: number): Buffer | undefined {
  try {
    const [result] = api.C_GetAttributeValue(session, object, [{ type }]);
    return result?.value;
  } catch (e) {
    if (isCkr(e, CK.CKR_ATTRIBUTE_TYPE_INVALID) || isCkr(e, CK.CKR_ATTRIBUTE_SENSITIVE)) return undefined;
    throw e;
  }
}

export function readBoolean(api: Pkcs11Api, session: Handle, object: Handle, type: number): boolean | undefined {
  const value = readAttribute(api, session, object, type);
  return value === undefined || value.length === 0 ? undefined : value[0] !== 0;
}

export function readUlong(api: Pkcs11Api, session: Handle, object: Handle, type: number): number | undefined {
  const value = readAttribute(api, session, object, type);
  return value === undefined ? undefined : ulongFromBytes(value);
}

export function readText(api: Pkcs11Api, session: Handle, object: Handle, type: number): string | undefined {
  const value = readAttribute(api, session, object, type);
  return value === undefined ? undefined : value.toString('utf8');
}

export function ulongFromBytes(value: Buffer): number {
  if (value.length >= 8) return Number(value.readBigUInt64LE(0));
  if (value.length >= 4) return value.readUInt32LE(0);
  return value.length === 0 ? 0 : value.readUIntLE(0, value.length);
}
