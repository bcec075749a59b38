/**
 * A window that opened on real HSMs can still start a rehearsal: the core it
 * serves is swapped for one on the virtual SmartCard-HSMs, in a data
 * directory of its own (<data dir>/rehearsal), so the rehearsal's journal
 * never touches the real one. The real core is closed first, when no act is
 * running on it, so its cards and its journal lock are let go. Going back is
 * a restart: a rehearsal is never left for the real journal by a click.
 */
import { join } from 'node:path';
import type { Channel, Handlers } from '../main/api/contract.ts';
import { createHandlers, type ShellFiles } from '../main/api/handlers.ts';
import { Custos, type CustosOptions } from '../main/custos.ts';
import type { ReadGrants } from '../main/exchange/read-grants.ts';
import type { EventSink, EventSource } from './dispatch.ts';
import { CHANNELS } from './dispatch.ts';

export const REHEARSAL_SUBDIR = 'rehearsal';

export interface SwitchableCore {
  handlers: Handlers;
  events: EventSource;
  current(): Custos;
}

/**
 * Handlers and events that follow whichever core is current; app.startRehearsal
 * makes the current one a rehearsal (a rehearsal already running is kept).
 */
export function switchableCore(
  first: Custos,
  shell: ShellFiles & { readGrants: ReadGrants },
  eventsOf: (custos: Custos) => EventSource,
  options: Omit<CustosOptions, 'providers'> & { dataDir: string },
): SwitchableCore {
  let custos = first;
  let handlers = createHandlers(custos, shell);
  const sinks = new Map<EventSink, () => void>();

  const startRehearsal: Handlers['app.startRehearsal'] = async () => {
    if (!custos.rehearsalOnly) {
      const old = custos;
      // Waits for nothing: an act running on the real core refuses the switch (OPERATION_IN_PROGRESS).
      const next = await old.exclusive('starting a rehearsal', async () => {
        await old.close();
        // The HSMs' modules stay out: a rehearsal has the virtual tokens only.
        const { pkcs11Modules: _modules, rehearsalModules: _rehearsalModules, ...kept } = options;
        return Custos.openRehearsal({ ...kept, dataDir: join(options.dataDir, REHEARSAL_SUBDIR) });
      });
      custos = next;
      handlers = createHandlers(next, shell);
      for (const [sink, stop] of sinks) {
        stop();
        sinks.set(sink, eventsOf(next).subscribe(sink));
        sink('tokens.changed', {});
      }
    }
    return handlers['app.info'](undefined);
  };

  const delegating = Object.fromEntries(CHANNELS.map((c) => [c, (input: never) => (handlers[c] as (i: never) => Promise<unknown>)(input)])) as unknown as Handlers;
  return {
    handlers: { ...delegating, 'app.startRehearsal': startRehearsal } satisfies Record<Channel, unknown>,
    events: {
      subscribe: (sink) => {
        sinks.set(sink, eventsOf(custos).subscribe(sink));
        return () => { sinks.get(sink)?.(); sinks.delete(sink); };
      },
    },
    current: () => custos,
  };
}
