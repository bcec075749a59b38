/**
 * Opens the core for a window: its handlers for every channel of the contract,
 * the events it pushes, and how to close it. No `electron` import, so the dev
 * host opens the core the same way.
 */
import type { Handlers } from '../main/api/contract.ts';
import { createHandlers, type ShellFiles } from '../main/api/handlers.ts';
import { ReadGrants } from '../main/exchange/read-grants.ts';
import { workProgressOf } from '../main/api/work-progress.ts';
import { Custos, type CustosOptions } from '../main/custos.ts';
import { readConfig } from '../main/settings/config.ts';
import { listPcscReaders, watchReaders, type ReaderWatcher } from '../main/hsm/sc-hsm/pcsc-transport.ts';
import type { EventSource } from './dispatch.ts';
import { switchableCore } from './rehearsal-switch.ts';

export interface AppCore {
  handlers: Handlers;
  events: EventSource;
  close(): Promise<void>;
  /**
   * Closes the journal at once, synchronously, which lets its lock go: for a
   * process on its way out (an 'exit' listener), where close() cannot be awaited.
   */
  releaseNow(): void;
  /** What the window may have read: the shell's open dialog grants here (the dev host, its stand-in). */
  readGrants: ReadGrants;
}

/**
 * The core reports new journal entries (every act the window cares about makes
 * one) and, outside a rehearsal, readers and cards coming and going in PC/SC,
 * so the token list follows a card being plugged in or pulled out.
 */
export function coreEvents(custos: Custos): EventSource {
  return {
    subscribe: (sink) => {
      const stopJournal = custos.journal.onAppend((entry) => sink('journal.appended', { seq: entry.seq }));
      // The core's one progress hub: every long act reports there, and work.cancel reaches it.
      const stopProgress = workProgressOf(custos).on((p) => sink('progress', { ...p }));
      let watcher: ReaderWatcher | undefined;
      if (!custos.rehearsalOnly) {
        try {
          watcher = watchReaders();
          for (const type of ['reader-added', 'reader-removed', 'card-inserted', 'card-removed'] as const) watcher.on(type, () => sink('tokens.changed', {}));
          // Without pcscd there is nothing to watch; the monitor's repeated error is not the window's concern.
          watcher.on('error', () => undefined);
        } catch {
          watcher = undefined;
        }
      }
      return () => { stopJournal(); stopProgress(); watcher?.stop(); };
    },
  };
}

export function appCoreOf(custos: Custos, shell: Pick<ShellFiles, 'pickFiles' | 'pickFolder' | 'printTranscript'> = {}, options?: Omit<CustosOptions, 'providers'> & { dataDir: string }): AppCore {
  const readGrants = new ReadGrants();
  if (options === undefined) {
    return {
      handlers: createHandlers(custos, { ...shell, readGrants }), events: coreEvents(custos),
      close: () => custos.close(), releaseNow: () => custos.journal.close(), readGrants,
    };
  }
  // With the options it was opened with, the window may switch this core to a rehearsal (app.startRehearsal).
  const core = switchableCore(custos, { ...shell, readGrants }, coreEvents, options);
  return {
    handlers: core.handlers, events: core.events,
    close: () => core.current().close(), releaseNow: () => core.current().journal.close(), readGrants,
  };
}

/**
 * With no PKCS#11 module named (here or in the data directory's config.json)
 * and no card in any PC/SC reader, the window offers the rehearsal tokens:
 * virtual SmartCard-HSMs, all VIRTUAL.
 */
export async function openAppCore(options: CustosOptions & { dataDir: string } & Pick<ShellFiles, 'pickFiles' | 'pickFolder' | 'printTranscript'>): Promise<AppCore> {
  const config = readConfig(options.dataDir);
  const modules = [...(options.pkcs11Modules ?? []), ...(options.rehearsalModules ?? []), ...config.pkcs11Modules, ...config.rehearsalModules];
  const cards = await listPcscReaders().then((readers) => readers.some((r) => r.cardPresent), () => false);
  const custos = modules.length > 0 || options.providers || cards ? Custos.open(options) : await Custos.openRehearsal(options);
  const { providers: _providers, pickFiles, pickFolder, printTranscript, ...reopen } = options;
  return appCoreOf(custos, { ...(pickFiles ? { pickFiles } : {}), ...(pickFolder ? { pickFolder } : {}), ...(printTranscript ? { printTranscript } : {}) }, reopen);
}
