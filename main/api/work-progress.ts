/**
 * Long work the core does for the window: who is told how far it has got
 * (the `progress` event), and a way to ask it to stop. One hub per core, so
 * a rehearsal's work never reports into the window's real core or back.
 */
import type { EventPayload } from './contract.ts';
import { CustosError } from '../errors/index.ts';
import type { Custos } from '../custos.ts';

export type Progress = EventPayload<'progress'>;

/** One piece of long work: reports how far it is, and knows whether it was asked to stop. */
export interface Work {
  report(done: number, total: number, label: string): void;
  /** True once work.cancel named this operation; the work stops at its next safe point. */
  readonly cancelled: boolean;
  end(): void;
}

export class WorkProgress {
  private readonly listeners = new Set<(p: Progress) => void>();
  private readonly running = new Map<string, { cancelled: boolean }>();

  on(listener: (p: Progress) => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  /** Starts an operation; one of each kind at a time, since two batches of the same kind could not both be cancelled by name. */
  begin(operation: string): Work {
    if (this.running.has(operation)) throw new CustosError('OPERATION_IN_PROGRESS', `${operation} is already running: wait for it or cancel it.`, { operation });
    const state = { cancelled: false };
    this.running.set(operation, state);
    return {
      report: (done, total, label) => { for (const l of this.listeners) l({ operation, label, done, total }); },
      get cancelled() { return state.cancelled; },
      end: () => { if (this.running.get(operation) === state) this.running.delete(operation); },
    };
  }

  /** Asks a running operation to stop at its next safe point; false when none is running. */
  cancel(operation: string): boolean {
    const state = this.running.get(operation);
    if (!state) return false;
    state.cancelled = true;
    return true;
  }
}

const hubs = new WeakMap<Custos, WorkProgress>();

/** The hub of this core: the handlers report into it, coreEvents passes it on to the window. */
export function workProgressOf(custos: Custos): WorkProgress {
  let hub = hubs.get(custos);
  if (!hub) { hub = new WorkProgress(); hubs.set(custos, hub); }
  return hub;
}
