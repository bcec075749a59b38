/**
 * The token's own limit: C_SignInit + C_Sign in a loop on one session, with
 * the mechanism and input the core would use for this key (planSignature
 * picks it from the token's list), the input prepared once. Nothing else of
 * the core runs, so this is the rate no issuance on this token can beat.
 */
import { randomBytes } from 'node:crypto';
import type pkcs11js from 'pkcs11js';
import { acquireModule } from '../../main/hsm/pkcs11/module.ts';
import { planSignature } from '../../main/hsm/pkcs11/sign.ts';
import { CK, type Handle } from '../../main/hsm/pkcs11/api.ts';
import { signAlgorithmFor } from '../../main/pki/x509/algorithms.ts';
import type { KeySpec } from '../../main/hsm/token.ts';

export interface SignRate {
  readonly signatures: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly msPerSignature: number;
  /** This process's user + system CPU per signature (SoftHSM signs in-process, on whichever thread calls it). */
  readonly cpuMsPerSignature: number;
}

export interface RawSignResult {
  readonly mechanism: string;
  readonly inputBytes: number;
  /** C_Sign: the call returns when the token has signed. */
  readonly sync: SignRate;
  /** C_SignAsync, as the core calls it: the same, run on a libuv worker thread. */
  readonly async: SignRate;
}

/** A TBSCertificate's typical size; only the combined hash-and-sign mechanisms see all of it. */
const MESSAGE_BYTES = 900;

function mechanismName(value: number): string {
  return Object.entries(CK).find(([name, v]) => name.startsWith('CKM_') && v === value)?.[0] ?? `0x${value.toString(16)}`;
}

function rate(signatures: number, ms: number, cpu: NodeJS.CpuUsage): SignRate {
  return {
    signatures, seconds: ms / 1000, perSecond: signatures / (ms / 1000), msPerSignature: ms / signatures,
    cpuMsPerSignature: (cpu.user + cpu.system) / 1000 / signatures,
  };
}

function findSlot(api: pkcs11js.PKCS11, tokenLabel: string): Handle {
  const slot = api.C_GetSlotList(true).find((s) => api.C_GetTokenInfo(s).label.trim() === tokenLabel);
  if (slot === undefined) throw new Error(`no token labelled ${tokenLabel}`);
  return slot;
}

function findPrivateKey(api: pkcs11js.PKCS11, session: Handle, keyLabel: string): Handle {
  api.C_FindObjectsInit(session, [{ type: CK.CKA_CLASS, value: CK.CKO_PRIVATE_KEY }, { type: CK.CKA_LABEL, value: keyLabel }]);
  const [key] = api.C_FindObjects(session, 1);
  api.C_FindObjectsFinal(session);
  if (key === undefined) throw new Error(`no private key labelled ${keyLabel}`);
  return key;
}

/**
 * Signs for at least minMs and minSignatures, sync then async, on a session of
 * its own (the login, which PKCS#11 keeps per application, is the core's).
 */
export async function measureRawSign(modulePath: string, tokenLabel: string, keyLabel: string, spec: KeySpec, minMs: number, minSignatures: number): Promise<RawSignResult> {
  const module = acquireModule(modulePath);
  const api = module.api as pkcs11js.PKCS11;
  const slot = findSlot(api, tokenLabel);
  const session = api.C_OpenSession(slot, CK.CKF_SERIAL_SESSION | CK.CKF_RW_SESSION);
  try {
    const key = findPrivateKey(api, session, keyLabel);
    const plan = planSignature(spec, signAlgorithmFor(spec), new Set(api.C_GetMechanismList(slot)));
    const input = plan.input(randomBytes(MESSAGE_BYTES));
    const out = Buffer.alloc(1024);
    for (let i = 0; i < 5; i++) {
      api.C_SignInit(session, plan.mechanism, key);
      api.C_Sign(session, input, out);
    }
    let n = 0;
    let cpu = process.cpuUsage();
    let start = performance.now();
    while (n < minSignatures || performance.now() - start < minMs) {
      api.C_SignInit(session, plan.mechanism, key);
      api.C_Sign(session, input, out);
      n += 1;
    }
    const sync = rate(n, performance.now() - start, process.cpuUsage(cpu));
    n = 0;
    cpu = process.cpuUsage();
    start = performance.now();
    while (n < minSignatures || performance.now() - start < minMs) {
      api.C_SignInit(session, plan.mechanism, key);
      await api.C_SignAsync(session, input, out);
      n += 1;
    }
    const async = rate(n, performance.now() - start, process.cpuUsage(cpu));
    return { mechanism: mechanismName(plan.mechanism.mechanism), inputBytes: input.length, sync, async };
  } finally {
    api.C_CloseSession(session);
    module.release();
  }
}
