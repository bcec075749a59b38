/**
 * `openssl ca` as an operator runs it against a key on a PKCS#11 token (the
 * pkcs11 engine, libp11, through p11-kit's module registry), configured to
 * issue what Custos's tls-server profile issues: same extensions, hash and
 * validity, so the two do the same work per certificate.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface OpensslCa {
  readonly dir: string;
  readonly config: string;
  /** The pkcs11: URI of the CA's private key, PIN included (a benchmark token's throwaway PIN). */
  readonly keyUri: string;
  readonly certPem: string;
}

export interface OpensslRun {
  readonly certificates: number;
  readonly seconds: number;
  /** User + system CPU of the openssl processes (NaN without /usr/bin/time). */
  readonly cpuSeconds: number;
  readonly failures: number;
  /** The first failure's output, to say why. */
  readonly firstError?: string;
}

export function prepareOpensslCa(dir: string, certPem: string, keyUri: string, hash: 'sha256' | 'sha384' | 'sha512', validityDays: number): OpensslCa {
  mkdirSync(join(dir, 'newcerts'), { recursive: true });
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'index.txt.attr'), 'unique_subject = no\n');
  writeFileSync(join(dir, 'ca.pem'), certPem);
  const config = join(dir, 'ca.cnf');
  writeFileSync(config, [
    '[ca]', 'default_ca = bench',
    '[bench]',
    `database = ${join(dir, 'index.txt')}`,
    `new_certs_dir = ${join(dir, 'newcerts')}`,
    `certificate = ${join(dir, 'ca.pem')}`,
    // Random 159-bit serials, as Custos draws them; no serial file to lock and rewrite.
    'rand_serial = yes',
    `default_md = ${hash}`,
    `default_days = ${validityDays}`,
    'policy = policy_any',
    'copy_extensions = copy',
    'unique_subject = no',
    'email_in_dn = no',
    'x509_extensions = tls_server',
    '[policy_any]', 'countryName = optional', 'organizationName = optional', 'commonName = supplied',
    '[tls_server]',
    'basicConstraints = critical,CA:FALSE',
    'keyUsage = critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage = serverAuth',
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid:always',
    '',
  ].join('\n'));
  return { dir, config, keyUri, certPem: join(dir, 'ca.pem') };
}

function caArgs(ca: OpensslCa): string[] {
  return ['ca', '-batch', '-notext', '-config', ca.config, '-engine', 'pkcs11', '-keyform', 'engine', '-keyfile', ca.keyUri, '-cert', ca.certPem];
}

/** Certificates issued so far: one index.txt line each (with -infiles, -out keeps only the last one). */
function issuedCount(ca: OpensslCa): number {
  return readFileSync(join(ca.dir, 'index.txt'), 'latin1').split('\n').filter((l) => l.startsWith('V\t')).length;
}

const HAS_TIME = existsSync('/usr/bin/time');

/** Runs openssl, with its user+sys CPU seconds from /usr/bin/time where there is one. */
function runOpenssl(args: readonly string[]): { ok: boolean; error: string; cpuSeconds: number } {
  const r = HAS_TIME
    ? spawnSync('/usr/bin/time', ['-f', 'custos-bench-cpu %U %S', 'openssl', ...args], { encoding: 'utf8', maxBuffer: 64 << 20 })
    : spawnSync('openssl', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  const cpu = /custos-bench-cpu ([\d.]+) ([\d.]+)/.exec(r.stderr ?? '');
  return {
    ok: r.status === 0,
    error: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.replace(/custos-bench-cpu.*\n?/, '').trim().slice(-800),
    cpuSeconds: cpu ? Number(cpu[1]) + Number(cpu[2]) : Number.NaN,
  };
}

/** One `openssl ca` process per request, as an operator signs them one at a time: each loads the engine and logs in. */
export function signEach(ca: OpensslCa, csrFiles: readonly string[]): OpensslRun {
  const before = issuedCount(ca);
  let failures = 0;
  let cpuSeconds = 0;
  let firstError: string | undefined;
  const start = performance.now();
  csrFiles.forEach((csr, i) => {
    const r = runOpenssl([...caArgs(ca), '-in', csr, '-out', join(ca.dir, `each-${i}.pem`)]);
    cpuSeconds += r.cpuSeconds;
    if (!r.ok) {
      failures += 1;
      firstError ??= r.error;
    }
  });
  const seconds = (performance.now() - start) / 1000;
  return { certificates: issuedCount(ca) - before, seconds, cpuSeconds, failures, ...(firstError ? { firstError } : {}) };
}

/** One `openssl ca -infiles` process for the whole batch: one engine load, one login, one session. */
export function signBatch(ca: OpensslCa, csrFiles: readonly string[]): OpensslRun {
  const before = issuedCount(ca);
  const start = performance.now();
  // -infiles must come last: every argument after it is a request file.
  const r = runOpenssl([...caArgs(ca), '-out', join(ca.dir, 'batch.pem'), '-infiles', ...csrFiles]);
  const seconds = (performance.now() - start) / 1000;
  const certificates = issuedCount(ca) - before;
  return { certificates, seconds, cpuSeconds: r.cpuSeconds, failures: csrFiles.length - certificates, ...(r.ok ? {} : { firstError: r.error }) };
}
