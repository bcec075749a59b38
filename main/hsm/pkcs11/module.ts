/**
 * Loads a PKCS#11 module by path and initialises it once per process: a module
 * keeps global state (logins, sessions), and a second C_Initialize on the same
 * library from the same process fails or, worse, shares state unannounced. Every
 * user of a module path holds a reference; the last release finalises it.
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import pkcs11js from 'pkcs11js';
import { CustosError } from '../../errors/index.ts';
import type { Pkcs11Api } from './api.ts';
import { ckrName, ckrValueOf } from './errors.ts';

export interface LoadedModule {
  readonly modulePath: string;
  readonly api: Pkcs11Api;
  /** Drops this reference; the last one finalises and unloads the module. */
  release(): void;
}

interface Entry {
  readonly pkcs11: pkcs11js.PKCS11;
  references: number;
  /** False when something else in the process had initialised it first: then it is not ours to finalise. */
  readonly finalizeOnRelease: boolean;
}

const loaded = new Map<string, Entry>();

function canonicalPath(modulePath: string): string {
  try {
    return realpathSync(resolve(modulePath));
  } catch {
    return resolve(modulePath);
  }
}

function loadFailed(modulePath: string, reason: string, cause: unknown): CustosError {
  return new CustosError('MODULE_LOAD_FAILED',
    `Could not load the PKCS#11 module ${modulePath}: ${reason}. Check that the file exists, is a PKCS#11 library `
    + 'built for this machine (same architecture), that the libraries it needs are installed, and, for SoftHSM, '
    + 'that SOFTHSM2_CONF names a readable configuration whose token directory exists.',
    { modulePath }, { cause });
}

function initialize(pkcs11: pkcs11js.PKCS11, modulePath: string): boolean {
  try {
    // OS locking: signatures and key generation run on libuv worker threads.
    pkcs11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    return true;
  } catch (e) {
    const ckr = ckrValueOf(e);
    if (ckr === pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED) return false;
    if (ckr === pkcs11js.CKR_CANT_LOCK) {
      try {
        pkcs11.C_Initialize();
        return true;
      } catch (again) {
        throw loadFailed(modulePath, `C_Initialize failed (${ckrName(ckrValueOf(again))})`, again);
      }
    }
    throw loadFailed(modulePath, `C_Initialize failed (${ckr === undefined ? 'no PKCS#11 return value' : ckrName(ckr)})`, e);
  }
}

/** Loads and initialises the module at modulePath, or takes another reference to it. */
export function acquireModule(modulePath: string): LoadedModule {
  const path = canonicalPath(modulePath);
  let entry = loaded.get(path);
  if (entry === undefined) {
    const pkcs11 = new pkcs11js.PKCS11();
    try {
      pkcs11.load(path);
    } catch (e) {
      throw loadFailed(modulePath, e instanceof Error ? e.message : String(e), e);
    }
    let finalizeOnRelease: boolean;
    try {
      finalizeOnRelease = initialize(pkcs11, modulePath);
    } catch (e) {
      pkcs11.close();
      throw e;
    }
    entry = { pkcs11, references: 0, finalizeOnRelease };
    loaded.set(path, entry);
  }
  entry.references += 1;
  const held = entry;
  let released = false;
  return {
    modulePath: path,
    api: held.pkcs11,
    release(): void {
      if (released) return;
      released = true;
      held.references -= 1;
      if (held.references > 0) return;
      loaded.delete(path);
      try {
        if (held.finalizeOnRelease) held.pkcs11.C_Finalize();
      } finally {
        held.pkcs11.close();
      }
    },
  };
}
