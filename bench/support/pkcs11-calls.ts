/**
 * Counts the PKCS#11 calls the core makes during a batch, by wrapping the
 * methods of the one pkcs11js instance the core holds for a module (module.ts
 * shares it per path). Counting adds well under a microsecond per call.
 */
import { acquireModule } from '../../main/hsm/pkcs11/module.ts';

export interface CallCounter {
  /** Calls made since the last reset, by function name. */
  counts(): Readonly<Record<string, number>>;
  reset(): void;
  /** Puts the original methods back and drops the module reference. */
  restore(): void;
}

export function countPkcs11Calls(modulePath: string): CallCounter {
  const module = acquireModule(modulePath);
  const api = module.api as unknown as Record<string, unknown>;
  // pkcs11js puts some methods on the instance and some on its prototypes: take whichever a call would find.
  const names = new Set<string>();
  for (let o: object | null = api; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const n of Object.getOwnPropertyNames(o)) if (n.startsWith('C_') && typeof api[n] === 'function') names.add(n);
  }
  const originals = new Map<string, { value: unknown; own: boolean }>();
  let counts: Record<string, number> = {};
  for (const name of names) {
    const original = api[name] as (...args: unknown[]) => unknown;
    originals.set(name, { value: original, own: Object.hasOwn(api, name) });
    api[name] = function counted(...args: unknown[]): unknown {
      counts[name] = (counts[name] ?? 0) + 1;
      return original.apply(api, args);
    };
  }
  return {
    counts: () => ({ ...counts }),
    reset: () => { counts = {}; },
    restore: () => {
      for (const [name, { value, own }] of originals) {
        if (own) api[name] = value;
        else delete api[name];
      }
      module.release();
    },
  };
}
