/**
 * The slowed rehearsal token: a real token (SoftHSM2 here) whose key
 * generations and signatures wait while the test holds them, or go at a set
 * pace, so a person (and a test) can look at the screen mid-way through long
 * work on any machine, busy or not. It stands in for a slow card, and is
 * named as such wherever it is used.
 */
import type { Signer, Token } from '../../../main/hsm/token.ts';

export interface SlowedToken {
  /** Every generation and signature from now on waits until release(). */
  hold(): void;
  release(): void;
  /** Every signature from now on takes at least this long (0: as fast as the token). */
  pace(ms: number): void;
}

export function slowDown(token: Token): SlowedToken {
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  let paceMs = 0;
  const generate = token.generateKeyPair.bind(token);
  token.generateKeyPair = async (spec, label, observer) => {
    if (gate) { observer?.onStep?.('generate'); await gate; }
    return generate(spec, label, observer);
  };
  const signer = token.signer.bind(token);
  token.signer = (key, options) => {
    const s = signer(key, options);
    const slowSigner: Signer = {
      ...s,
      sign: async (message, algorithm) => {
        if (gate) await gate;
        if (paceMs > 0) await new Promise((resolve) => setTimeout(resolve, paceMs));
        return s.sign(message, algorithm);
      },
    };
    return slowSigner;
  };
  return {
    hold: () => { gate = new Promise((resolve) => { open = resolve; }); },
    release: () => { gate = undefined; open?.(); },
    pace: (ms) => { paceMs = ms; },
  };
}
