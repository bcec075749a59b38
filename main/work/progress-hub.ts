/**
 * The one hub long work reports into: batch signing, key generation, CRL
 * building, a share file's key derivation. Each piece of work says how far it
 * is (done of total, total 0 when it cannot tell), how long it is expected to
 * take where Custos can tell, and whether stopping now is safe: work.cancel
 * stops it at its next safe point, or the window is told why it cannot be
 * stopped (a card generating a key). One hub per core, so a rehearsal's work
 * never reports into the window's real core or back.
 */
import { CustosError } from '../errors/index.ts';

/** What the window is told each time work moves on. */
export interface Progress {
  readonly operation: string;
  readonly label: string;
  readonly done: number;
  readonly total: number;
  /** True when work.cancel would stop it now without leaving anything half done. */
  readonly cancellable: boolean;
  /** Why stopping now is not safe, in words the window shows instead of a Cancel button. */
  readonly notCancellable?: string;
  /** How long the whole work is expected to take, when Custos can tell (a key generation, by key type). */
  readonly estimatedMs?: number;
  /** When the work began (ms since the epoch): with estimatedMs, how much is likely left. */
  readonly startedAtMs: number;
}

export interface WorkOptions {
  /** Why stopping is not safe from the start; absent: work.cancel stops it at its next safe point. */
  readonly notCancellable?: string;
  readonly estimatedMs?: number;
}

/** One piece of long work: reports how far it is, and knows whether it was asked to stop. */
export interface Work {
  /**
   * How far it is. notCancellable, when given, changes whether stopping is
   * safe from this step on: a reason while the token works, null once it is
   * safe again.
   */
  report(done: number, total: number, label: string, notCancellable?: string | null): void;
  /** True once work.cancel named this operation while stopping was safe; the work stops at its next safe point. */
  readonly cancelled: boolean;
  /** Aborted with the cancel, for work that runs elsewhere (a worker thread) and stops at once. */
  readonly signal: AbortSignal;
  end(): void;
}

interface Running {
  readonly controller: AbortController;
  notCancellable: string | undefined;
}

export class ProgressHub {
  private readonly listeners = new Set<(p: Progress) => void>();
  private readonly running = new Map<string, Running>();

  on(listener: (p: Progress) => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  /** Starts an operation; one of each kind at a time, since two of the same kind could not both be cancelled by name. */
  begin(operation: string, options: WorkOptions = {}): Work {
    if (this.running.has(operation)) throw new CustosError('OPERATION_IN_PROGRESS', `${operation} is already running: wait for it or cancel it.`, { operation });
    const state: Running = { controller: new AbortController(), notCancellable: options.notCancellable };
    this.running.set(operation, state);
    const startedAtMs = Date.now();
    const tell = (p: Progress): void => {
      // A listener that throws (a window gone) must not stop the work it listens to.
      for (const l of this.listeners) { try { l(p); } catch { /* the listener's own concern */ } }
    };
    return {
      report: (done, total, label, notCancellable) => {
        if (notCancellable !== undefined) state.notCancellable = notCancellable ?? undefined;
        tell({
          operation, label, done, total, cancellable: state.notCancellable === undefined && !state.controller.signal.aborted, startedAtMs,
          ...(state.notCancellable !== undefined ? { notCancellable: state.notCancellable } : {}),
          ...(options.estimatedMs !== undefined ? { estimatedMs: options.estimatedMs } : {}),
        });
      },
      get cancelled() { return state.controller.signal.aborted; },
      signal: state.controller.signal,
      end: () => { if (this.running.get(operation) === state) this.running.delete(operation); },
    };
  }

  /**
   * Asks a running operation to stop at its next safe point: false when none
   * is running; CANCEL_UNSAFE, with the reason, while stopping it is not safe.
   */
  cancel(operation: string): boolean {
    const state = this.running.get(operation);
    if (!state) return false;
    if (state.notCancellable !== undefined) {
      throw new CustosError('CANCEL_UNSAFE', `It cannot be stopped now: ${state.notCancellable}`, { operation });
    }
    state.controller.abort();
    return true;
  }
}
