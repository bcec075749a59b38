/**
 * The PKCS#11 calls Custos makes, and nothing more: a token, a session and a
 * signer are built on these alone, so a fake for a unit test (or a wrapper that
 * hides a mechanism) implements only this. pkcs11js's PKCS11 satisfies it.
 */
import pkcs11js from 'pkcs11js';
import type { KeyPair, Mechanism, SessionInfo, SlotInfo, Template, TemplateResult, TokenInfo } from 'pkcs11js';

/** The constants (CKA_*, CKM_*, CKF_*, CKR_* …) as pkcs11js names them. */
export const CK = pkcs11js;

/** Slot, session and object handles are opaque buffers (CK_ULONG in native byte order). */
export type Handle = Buffer;

export interface Pkcs11Api {
  C_GetSlotList(tokenPresent?: boolean): Handle[];
  C_GetSlotInfo(slot: Handle): SlotInfo;
  C_GetTokenInfo(slot: Handle): TokenInfo;
  C_GetMechanismList(slot: Handle): number[];
  C_OpenSession(slot: Handle, flags: number): Handle;
  C_CloseSession(session: Handle): void;
  C_GetSessionInfo(session: Handle): SessionInfo;
  C_Login(session: Handle, userType: number, pin?: string): void;
  C_Logout(session: Handle): void;
  C_SetPIN(session: Handle, oldPin: string, newPin: string): void;
  C_InitPIN(session: Handle, pin: string): void;
  C_FindObjectsInit(session: Handle, template: Template): void;
  C_FindObjects(session: Handle, maxObjectCount: number): Handle[];
  C_FindObjectsFinal(session: Handle): void;
  C_GetAttributeValue(session: Handle, object: Handle, template: Template): TemplateResult;
  C_SetAttributeValue(session: Handle, object: Handle, template: Template): void;
  C_GenerateKeyPairAsync(session: Handle, mechanism: Mechanism, publicTemplate: Template, privateTemplate: Template): Promise<KeyPair>;
  C_SignInit(session: Handle, mechanism: Mechanism, key: Handle): void;
  C_SignAsync(session: Handle, inData: Buffer, outData: Buffer): Promise<Buffer>;
}

// PKCS#11 v2.40 §5.7.1 session states; pkcs11js does not export the CKS_* values.
export const CKS_RO_USER_FUNCTIONS = 1;
export const CKS_RW_USER_FUNCTIONS = 3;
