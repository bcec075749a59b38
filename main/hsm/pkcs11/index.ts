/** PKCS#11 tokens (SoftHSM2, OpenSC, YubiHSM, Luna …) through pkcs11js. */
export { Pkcs11Provider, type Pkcs11ProviderOptions } from './provider.ts';
export { Pkcs11Token, type Pkcs11TokenContext } from './token.ts';
export type { KeyGenOptions } from './keygen.ts';

/** Where Debian and Ubuntu install SoftHSM2's module. */
export const DEFAULT_SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';
