/**
 * CRL build+sign time and peak memory, beside `openssl ca -gencrl` on the same
 * revoked serials with an OpenSSL-made CA key.
 *   node --import tsx bench/crl.ts [entries ...]      (default 100000 1000000)
 * Each measurement runs in its own process, so peak RSS is that run's alone.
 * Targets: 100,000 entries < 2 s within 200 MiB; 1,000,000 < 20 s within 1 GiB.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RevokedEntry, CrlReason } from '../main/pki/x509/revocation.ts';

const MIB = 1024 * 1024;
const REASONS: readonly (CrlReason | undefined)[] = ['keyCompromise', 'superseded', 'cessationOfOperation', 'affiliationChanged', undefined];

/** OpenSSL's index.txt time: YYMMDDHHMMSSZ. */
function indexTime(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
}

/** One index.txt line per revoked certificate: R, expiry, revocation[,reason], serial, file, subject. */
function writeIndex(path: string, count: number): void {
  const expiry = indexTime(new Date(Date.UTC(2035, 0, 1)));
  const lines: string[] = new Array(count);
  const base = Date.UTC(2025, 0, 1);
  for (let i = 0; i < count; i++) {
    const reason = REASONS[i % REASONS.length];
    const revoked = indexTime(new Date(base + i * 1000));
    lines[i] = `R\t${expiry}\t${revoked}${reason ? `,${reason}` : ''}\t${randomBytes(16).toString('hex').toUpperCase()}\tunknown\t/CN=leaf ${i}`;
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}

function readIndex(path: string): RevokedEntry[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').map((line) => {
    const [, , revocation, serialHex] = line.split('\t') as [string, string, string, string];
    const [time, reason] = revocation.split(',') as [string, string | undefined];
    const t = time;
    const date = new Date(Date.UTC(2000 + Number(t.slice(0, 2)), Number(t.slice(2, 4)) - 1, Number(t.slice(4, 6)), Number(t.slice(6, 8)), Number(t.slice(8, 10)), Number(t.slice(10, 12))));
    return { serialHex, revocationDate: date, ...(reason ? { reason: reason as CrlReason } : {}) };
  });
}

/** The measured run, in a child process: Custos builds and signs the CRL. */
async function child(dir: string): Promise<void> {
  await import('reflect-metadata');
  const { buildCrlTbs, signCrl } = await import('../main/pki/x509/crl.ts');
  const { algorithmIdentifierFor, signAlgorithmFor } = await import('../main/pki/x509/algorithms.ts');
  const { softSignerFromPrivateKey } = await import('../test/support/crl-signer.ts');
  const entries = readIndex(join(dir, 'index.txt'));
  const signer = softSignerFromPrivateKey(readFileSync(join(dir, 'ca.key')));
  const algorithm = signAlgorithmFor(signer.spec);
  const issuerCertDer = new Uint8Array(readFileSync(join(dir, 'ca.der')));
  global.gc?.();
  const rssBeforeMiB = process.memoryUsage().rss / MIB;
  const start = performance.now();
  const now = new Date();
  const tbs = buildCrlTbs({ issuerCertDer, entries, crlNumber: 1n, thisUpdate: now, nextUpdate: new Date(now.getTime() + 30 * 86_400_000), algorithm: algorithmIdentifierFor(algorithm) });
  const built = performance.now();
  const crl = await signCrl(tbs, signer, algorithm);
  const end = performance.now();
  writeFileSync(join(dir, 'custos.crl'), crl);
  process.stdout.write(JSON.stringify({
    buildMs: built - start, signMs: end - built, totalMs: end - start,
    peakRssMiB: process.resourceUsage().maxRSS / 1024, rssBeforeMiB, bytes: crl.length,
  }));
}

function opensslCa(dir: string): { seconds: number; peakRssMiB: number | undefined; bytes: number } {
  writeFileSync(join(dir, 'crlnumber'), '01\n');
  writeFileSync(join(dir, 'index.txt.attr'), 'unique_subject = no\n');
  writeFileSync(join(dir, 'ca.cnf'), [
    '[ca]', 'default_ca = bench', '[bench]', `database = ${join(dir, 'index.txt')}`, `crlnumber = ${join(dir, 'crlnumber')}`,
    'default_md = sha256', 'default_crl_days = 30', 'crl_extensions = crl_ext', '[crl_ext]', 'authorityKeyIdentifier = keyid:always', '',
  ].join('\n'));
  const args = ['ca', '-config', join(dir, 'ca.cnf'), '-gencrl', '-keyfile', join(dir, 'ca.key'), '-cert', join(dir, 'ca.pem'), '-out', join(dir, 'openssl.crl.pem')];
  const useTime = existsSync('/usr/bin/time');
  const start = performance.now();
  const r = useTime
    ? spawnSync('/usr/bin/time', ['-f', 'custos-bench-rss-kib %M', 'openssl', ...args], { encoding: 'utf8' })
    : spawnSync('openssl', args, { encoding: 'utf8' });
  const seconds = (performance.now() - start) / 1000;
  if (r.status !== 0) throw new Error(`openssl ca -gencrl failed: ${r.stderr}`);
  const kib = /custos-bench-rss-kib (\d+)/.exec(r.stderr ?? '');
  // openssl ca writes PEM only; DER, untimed, to compare sizes and count the same way.
  execFileSync('openssl', ['crl', '-in', join(dir, 'openssl.crl.pem'), '-outform', 'DER', '-out', join(dir, 'openssl.crl')]);
  return { seconds, peakRssMiB: kib ? Number(kib[1]) / 1024 : undefined, bytes: statSync(join(dir, 'openssl.crl')).size };
}

function countEntries(dir: string, file: string): number {
  const text = execFileSync('openssl', ['crl', '-inform', 'DER', '-in', join(dir, file), '-noout', '-text'], { maxBuffer: 1 << 30, encoding: 'utf8' });
  return text.split('Serial Number:').length - 1;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3]!);
  const counts = process.argv.slice(2).map(Number).filter((n) => n > 0);
  const self = fileURLToPath(import.meta.url);
  for (const count of counts.length > 0 ? counts : [100_000, 1_000_000]) {
    const dir = mkdtempSync(join(tmpdir(), 'custos-bench-crl-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'ca.key'),
        '-out', join(dir, 'ca.pem'), '-subj', '/CN=Bench CA', '-days', '3650', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], { stdio: 'ignore' });
      execFileSync('openssl', ['x509', '-in', join(dir, 'ca.pem'), '-outform', 'DER', '-out', join(dir, 'ca.der')]);
      writeIndex(join(dir, 'index.txt'), count);
      const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', self, '--child', dir], { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (r.status !== 0) throw new Error(`Custos run failed: ${r.stderr}`);
      const ours = JSON.parse(r.stdout) as { buildMs: number; signMs: number; totalMs: number; peakRssMiB: number; rssBeforeMiB: number; bytes: number };
      const theirs = opensslCa(dir);
      const oursCount = countEntries(dir, 'custos.crl');
      const theirsCount = countEntries(dir, 'openssl.crl');
      console.log(`${count.toLocaleString('en')} entries`);
      console.log(`  custos   build ${(ours.buildMs / 1000).toFixed(2)} s + sign ${(ours.signMs / 1000).toFixed(2)} s = ${(ours.totalMs / 1000).toFixed(2)} s; `
        + `peak RSS ${ours.peakRssMiB.toFixed(0)} MiB (${ours.rssBeforeMiB.toFixed(0)} MiB held before the build, entries included); ${ours.bytes} bytes; openssl counts ${oursCount}`);
      console.log(`  openssl  ca -gencrl ${theirs.seconds.toFixed(2)} s; peak RSS ${theirs.peakRssMiB?.toFixed(0) ?? '?'} MiB; ${theirs.bytes} bytes; openssl counts ${theirsCount}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

await main();
