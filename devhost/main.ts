/**
 * Starts the dev host on the real core, for development in a browser:
 *   npm run build && node --import tsx devhost/main.ts --data-dir DIR [--pkcs11 MODULE] [--rehearsal MODULE] [--pick FILE]
 * and prints the one URL (with its access token) to open.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openAppCore } from '../electron/core.ts';
import { startDevHost } from './server.ts';

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string' },
    pkcs11: { type: 'string', multiple: true, default: [] },
    rehearsal: { type: 'string', multiple: true, default: [] },
    // A browser has no shell dialog: the files named here are what "Choose file…" returns.
    pick: { type: 'string', multiple: true, default: [] },
  },
});
if (!values['data-dir']) {
  console.error('usage: devhost/main.ts --data-dir DIR [--pkcs11 MODULE]… [--rehearsal MODULE]… [--pick FILE]…');
  process.exit(2);
}
const picks = values.pick.map((p) => resolve(p));
const core = await openAppCore({ dataDir: values['data-dir'], pkcs11Modules: values.pkcs11, rehearsalModules: values.rehearsal, pickFiles: async () => picks });
// However the process ends short of SIGKILL (a thrown error, a rejected promise, a signal), the
// journal's lock goes with it: a stale lock would refuse the next start.
process.on('exit', () => core.releaseNow());
const host = await startDevHost({ handlers: core.handlers, events: core.events, staticDir: join(import.meta.dirname, '../out/renderer') });
console.log(`Custos dev host: ${host.url}`);
const stop = async () => {
  try { await host.close(); await core.close(); } finally { process.exit(0); }
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
