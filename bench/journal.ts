/**
 * Opening the data directory of a CA that has issued many certificates: the
 * journal is read and verified line by line and the CA state rebuilt from
 * it, while the entries themselves stay in the file. Measures the time to
 * open and the peak memory of the process that opens, beside the journal's
 * size.
 *
 *   node --import tsx bench/journal.ts --certificates N [--json]
 *
 * The journal is written first, by this same process, through Journal.append:
 * for each certificate the three entries issuance writes (the request's
 * import, the intent, the result), of the sizes real ones have (the request
 * and certificate are random bytes of a real request's and certificate's
 * length; opening does not parse them). A second process opens it.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Custos } from '../main/custos.ts';
import { Journal, JOURNAL_FILE, verifyJournalFile } from '../main/journal/index.ts';

// Lengths of an OpenSSL P-256 request with one DNS name, and of the tls-server certificate issued for it.
const REQUEST_BYTES = 440;
const CERTIFICATE_BYTES = 760;
const CA_ID = 'a'.repeat(64);

export interface JournalOpenResult {
  readonly certificates: number;
  readonly entries: number;
  readonly fileMiB: number;
  readonly writeSeconds: number;
  /** Custos.open: lock, read and verify every entry, rebuild the state. */
  readonly openSeconds: number;
  /** `custos journal verify`'s reader alone. */
  readonly verifySeconds: number;
  /** The opening process's peak RSS, and its RSS before it opened (Node and the modules). */
  readonly peakRssMiB: number;
  readonly rssBeforeMiB: number;
  /** The heap the open data directory keeps (after a full collection), and the byte buffers it keeps outside the heap. */
  readonly heapAfterMiB: number;
  readonly buffersAfterMiB: number;
}

function writeJournal(dir: string, certificates: number): void {
  const journal = Journal.open({ dir, operator: 'bench' });
  const token = { label: 'Bench HSM', serial: '0123456789abcdef', model: 'SoftHSM v2', backend: 'pkcs11' as const, virtual: true };
  try {
    for (let i = 0; i < certificates; i++) {
      const requestId = randomBytes(32).toString('hex');
      const serialHex = randomBytes(16).toString('hex');
      const subject = `CN=host-${i}.example.net`;
      journal.append('request.import', {
        requestId, fileName: 'batch.pem', request: randomBytes(REQUEST_BYTES).toString('base64'), subject,
        keySpec: { kind: 'ec', curve: 'P-256' }, sans: [`DNS:host-${i}.example.net`], requestedExtensions: ['subjectAltName'],
      });
      const intent = journal.intend('certificate.issue', {
        caId: CA_ID, requestId, profileId: 'tls-server', subject, serialHex, tbsSha256: randomBytes(32).toString('hex'),
      }, token);
      journal.complete(intent, {
        caId: CA_ID, certificate: randomBytes(CERTIFICATE_BYTES).toString('base64'), sha256: randomBytes(32).toString('hex'), serialHex,
        subject, issuer: 'CN=Custos Bench Issuing CA', notBefore: '2026-12-05T00:00:00.000Z', notAfter: '2027-03-04T23:59:59.000Z',
        profileId: 'tls-server', isCa: false, requestId,
      });
    }
  } finally {
    journal.close();
  }
}

const MiB = 1024 * 1024;

/** Run in the child: opens the data directory and reports. */
async function openAndMeasure(dir: string): Promise<void> {
  const rssBefore = process.memoryUsage().rss;
  let start = performance.now();
  const custos = Custos.open({ dataDir: dir, operator: 'bench', providers: [], pcsc: false });
  const openSeconds = (performance.now() - start) / 1000;
  const issued = [...custos.state.issued.values()].reduce((n, m) => n + m.size, 0);
  // What an open data directory keeps: the heap once the garbage of reading it is collected.
  (globalThis as { gc?: () => void }).gc?.();
  const heapAfterMiB = process.memoryUsage().heapUsed / MiB;
  const buffersAfterMiB = process.memoryUsage().arrayBuffers / MiB;
  await custos.close();
  start = performance.now();
  const verified = verifyJournalFile(join(dir, JOURNAL_FILE));
  const verifySeconds = (performance.now() - start) / 1000;
  if (!verified.ok) throw new Error(`journal does not verify: ${verified.reason}`);
  console.log(JSON.stringify({
    issued, entries: verified.entries, openSeconds, verifySeconds,
    peakRssMiB: (process.resourceUsage().maxRSS * 1024) / MiB, rssBeforeMiB: rssBefore / MiB, heapAfterMiB, buffersAfterMiB,
  }));
}

export function benchJournalOpen(certificates: number): JournalOpenResult {
  const dir = mkdtempSync(join(tmpdir(), 'custos-bench-journal-'));
  try {
    const start = performance.now();
    writeJournal(dir, certificates);
    const writeSeconds = (performance.now() - start) / 1000;
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--open', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) throw new Error(`opening the journal failed (exit ${r.status})`);
    const opened = JSON.parse(r.stdout.trim().split('\n').pop()!) as { issued: number; entries: number; openSeconds: number; verifySeconds: number; peakRssMiB: number; rssBeforeMiB: number; heapAfterMiB: number; buffersAfterMiB: number };
    if (opened.issued !== certificates) throw new Error(`the state holds ${opened.issued} certificates, not ${certificates}`);
    return {
      certificates, entries: opened.entries, fileMiB: statSync(join(dir, JOURNAL_FILE)).size / MiB, writeSeconds,
      openSeconds: opened.openSeconds, verifySeconds: opened.verifySeconds, peakRssMiB: opened.peakRssMiB, rssBeforeMiB: opened.rssBeforeMiB, heapAfterMiB: opened.heapAfterMiB, buffersAfterMiB: opened.buffersAfterMiB,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { certificates: { type: 'string', default: '100000' }, open: { type: 'string' }, json: { type: 'boolean', default: false } } });
  if (values.open) {
    await openAndMeasure(values.open);
  } else {
    const result = benchJournalOpen(Number(values.certificates));
    console.log(values.json ? JSON.stringify(result) : result);
  }
}
