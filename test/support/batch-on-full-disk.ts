/**
 * Run by test/integration/ca/full-disk.test.ts in a mount namespace with a
 * small tmpfs on DISK (small-tmpfs.ts): a root on the SoftHSM2 token, the
 * requests of CSR_FILE imported, the disk filled, then one batch of them in
 * this process (each signature the token returns is noted, to check later
 * that every one was recorded), then the CLI signing the same file on the
 * same disk with a little more room. The data folder is copied to OUT before
 * the tmpfs goes away; what was seen is printed as JSON.
 * Usage: batch-on-full-disk.ts DISK OUT MODULE CSR_FILE (PIN in $CUSTOS_PIN)
 */
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Custos } from '../../main/custos.ts';
import { Secret } from '../../main/secret.ts';
import { createRoot } from '../../main/ca/root.ts';
import { importRequests } from '../../main/ca/requests.ts';
import { issueCertificates } from '../../main/ca/issue.ts';
import { isCustosError } from '../../main/errors/index.ts';
import type { Token } from '../../main/hsm/token.ts';

const [disk, out, modulePath, csrFile] = process.argv.slice(2) as [string, string, string, string];
const home = join(disk, 'home');
const filler = join(disk, 'filler');
const code = (e: unknown): string => (isCustosError(e) ? e.code : `untyped ${String((e as { code?: string }).code ?? e)}`);

/** Fills the disk, then gives back room: what is left free afterwards is about freeBytes. */
function leaveFree(freeBytes: number): void {
  try { unlinkSync(filler); } catch { /* first time */ }
  try { writeFileSync(filler, Buffer.alloc(4 << 20)); } catch { /* full, as meant */ }
  const full = statSync(filler).size;
  unlinkSync(filler);
  writeFileSync(filler, Buffer.alloc(Math.max(0, full - freeBytes)));
}

const seen: Record<string, unknown> = {};
const custos = Custos.open({ dataDir: home, rehearsalModules: [modulePath], operator: 'tester', pcsc: false });
const [listed] = await custos.tokens.list();
await custos.login(listed!.id, Secret.fromString(process.env.CUSTOS_PIN!));
const key = await custos.generateKey(listed!.id, { kind: 'ec', curve: 'P-384' }, 'root');
const root = await createRoot(custos.ctx, { tokenId: listed!.id, keySpkiSha256: key.spkiSha256, profileId: 'root-ca', subject: 'CN=Full Disk Root', name: 'root' });
const requests = importRequests(custos.ctx, 'batch.pem', readFileSync(csrFile));
custos.ctx.journal.flush();

// Every signature the CA key returns, noted as it leaves the token (the token keeps no count of its own).
const signatures: string[] = [];
const registry = custos.ctx.tokens;
const requireKey = registry.requireKey.bind(registry);
const counted = new WeakSet<Token>();
registry.requireKey = async (...args: Parameters<typeof requireKey>) => {
  const found = await requireKey(...args);
  if (!counted.has(found.token)) {
    counted.add(found.token);
    const signerOf = found.token.signer.bind(found.token);
    found.token.signer = (k) => {
      const signer = signerOf(k);
      // The CA key's signatures only: the journal key's checkpoint is a signature over the journal, not a certificate.
      if (k.spkiSha256 !== key.spkiSha256) return signer;
      return { ...signer, sign: async (message, algorithm) => { const s = await signer.sign(message, algorithm); signatures.push(Buffer.from(s).toString('hex')); return s; } };
    };
  }
  return found;
};

leaveFree(160 << 10);
try {
  await issueCertificates(custos.ctx, requests.map(({ record, csr }) => ({ caId: root.id, requestId: record.id, csr, profileId: 'tls-server', validityDays: 30 })));
  seen.batch = 'all signed';
} catch (e) {
  seen.batch = code(e);
  seen.batchMessage = (e as Error).message;
}
seen.signatures = signatures;
try { await custos.close(); } catch (e) { seen.close = code(e); }

// The operator frees a little space, reads what the cut-off batch left (its checkpoint did not fit
// on the disk) and signs a checkpoint over it, then signs the same file again through the CLI.
leaveFree(240 << 10);
const review = spawnSync(process.execPath, [join(process.cwd(), 'bin/custos.mjs'), 'journal', 'checkpoint', '--home', home, '--rehearsal-module', modulePath, '--pin-env', 'CUSTOS_PIN',
  '--token', listed!.info.label, '--yes'], { encoding: 'utf8', env: process.env });
seen.review = { status: review.status, stderr: review.stderr };
const before = JSON.parse(spawnSync('sh', ['-c', `wc -l < "${join(home, 'journal.jsonl')}"`], { encoding: 'utf8' }).stdout.trim()) as number;
const cli = spawnSync(process.execPath, [join(process.cwd(), 'bin/custos.mjs'), 'sign', '--home', home, '--rehearsal-module', modulePath, '--pin-env', 'CUSTOS_PIN',
  '--token', listed!.info.label, '--ca', 'root', '--csr', csrFile, '--profile', 'tls-server', '--days', '30', '--yes'], { encoding: 'utf8', env: process.env });
seen.cli = { status: cli.status, stderr: cli.stderr.split('\n').filter((l) => !l.startsWith('About to sign') && /signed|error|warning|note/.test(l)) };
seen.linesBeforeCli = before;
cpSync(home, out, { recursive: true });
console.log(JSON.stringify(seen));
