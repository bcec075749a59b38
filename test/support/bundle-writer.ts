/**
 * The child process of test/integration/exchange/bundle-media.test.ts: writes
 * bundles where the test puts a medium (a tmpfs of its own, full or
 * read-only, or unmounted mid-write) or kills it mid-write, and prints what
 * came of it as one JSON line.
 *
 *   create HOME MODULE PIN CA MEDIUM NAME   createBundle on the token, as the CLI would
 *   copy SOURCE TARGET [PAD_BYTES]           writeBundleFolder of SOURCE's files (and a padding file) to TARGET
 *   loop SOURCE MEDIUM                       writes copies of SOURCE into MEDIUM until killed
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Custos } from '../../main/custos.ts';
import { Secret } from '../../main/secret.ts';
import { isCustosError } from '../../main/errors/index.ts';
import { createBundle } from '../../main/exchange/bundle.ts';
import { writeBundleFolder } from '../../main/exchange/bundle-folder.ts';
import { MANIFEST_FILE, type BundleFile } from '../../main/exchange/bundle-manifest.ts';

const [mode, ...args] = process.argv.slice(2);

function sourceOf(dir: string): { files: BundleFile[]; manifest: Uint8Array } {
  const files = readdirSync(dir).filter((n) => n !== MANIFEST_FILE).sort().map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(dir, name))) }));
  return { files, manifest: new Uint8Array(readFileSync(join(dir, MANIFEST_FILE))) };
}

function report(value: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

async function run(): Promise<void> {
  if (mode === 'create') {
    const [home, modulePath, pin, ca, medium, name] = args as [string, string, string, string, string, string];
    const custos = Custos.open({ dataDir: home, pkcs11Modules: [modulePath], pcsc: false, operator: 'tester' });
    try {
      const [token] = await custos.tokens.list();
      await custos.login(token!.id, Secret.fromString(pin));
      const seqBefore = custos.journal.lastSeq;
      try {
        await createBundle(custos.ctx, { caId: ca, directory: medium, name });
        report({ ok: true, seqBefore, kinds: custos.journal.read(seqBefore).map((e) => e.kind), left: readdirSync(medium) });
      } catch (e) {
        report({ code: isCustosError(e) ? e.code : String(e), seqBefore, kinds: custos.journal.read(seqBefore).map((e) => e.kind), left: readdirSync(medium) });
      }
    } finally {
      await custos.close();
    }
    return;
  }
  if (mode === 'copy') {
    const [source, target, pad] = args as [string, string, string | undefined];
    const { files, manifest } = sourceOf(source);
    // Large enough that the medium is pulled while the files are still going on.
    const padding = pad ? [{ name: 'padding.bin', bytes: new Uint8Array(Number(pad)) }] : [];
    process.stdout.write('writing\n');
    try {
      await writeBundleFolder(target, [...files, ...padding], manifest);
      report({ ok: true, left: readdirSync(dirname(target)) });
    } catch (e) {
      report({ code: isCustosError(e) ? e.code : String(e), left: readdirSync(dirname(target)) });
    }
    return;
  }
  if (mode === 'loop') {
    const [source, medium] = args as [string, string];
    const { files, manifest } = sourceOf(source);
    process.stdout.write('writing\n');
    for (let i = 0; ; i++) await writeBundleFolder(join(medium, `b${i}`), files, manifest);
  }
  throw new Error(`unknown mode ${mode}`);
}

await run();
