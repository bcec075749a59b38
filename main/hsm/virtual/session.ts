/**
 * The card's volatile memory (its RAM): lost at power off, reset, and — for
 * authentication — at every SELECT of the applet, as on the real device
 * (SC-HSM.md §1.5, §10).
 */
import type { CvcPublicKey } from '../../pki/cvc/cvc.ts';

export interface Session {
  /** EF made current by SELECT or UPDATE, for READ/UPDATE/DELETE with P1P2 = 0000. */
  currentEf?: number;
  userPinVerified: boolean;
  /** CHRs of registered PKA keys that authenticated in this session. */
  pkaAuthenticated: Set<string>;
  /** The last GET CHALLENGE answer: the PKA challenge (SC-HSM.md §4.13). */
  challenge?: Uint8Array;
  /** MSE SET 81 B6: the CHR of the key that verifies the next certificate. */
  verificationChr?: string;
  /** MSE SET 81 A4: the registered PKA key the next EXTERNAL AUTHENTICATE is for. */
  pkaChr?: string;
  /** Public keys learnt from PSO VERIFY CERTIFICATE, by CHR. */
  verifiedKeys: Map<string, CvcPublicKey>;
  /** Bytes still waiting for GET RESPONSE after a 61xx. */
  pendingResponse?: Uint8Array;
}

export function newSession(): Session {
  return { userPinVerified: false, pkaAuthenticated: new Set(), verifiedKeys: new Map() };
}

/** What SELECT of the applet clears: every authentication, the challenge and the MSE choices. */
export function logout(session: Session): void {
  session.userPinVerified = false;
  session.pkaAuthenticated.clear();
  delete session.challenge;
  delete session.verificationChr;
  delete session.pkaChr;
  delete session.currentEf;
  session.verifiedKeys.clear();
}
