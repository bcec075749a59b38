/**
 * The machine a benchmark ran on, as docs/benchmarks.md reports it: numbers
 * mean little without the CPU, the core count and the versions behind them.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, release, totalmem } from 'node:os';

export interface Machine {
  readonly nproc: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly node: string;
  readonly openssl: string;
  readonly softhsm: string;
  readonly libp11: string;
  /** The commit measured, and whether main/ or bench/ differed from it. */
  readonly revision: string;
}

function firstLine(cmd: string, args: readonly string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) return 'not found';
  return `${r.stdout}${r.stderr}`.trim().split('\n')[0] ?? 'unknown';
}

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/mu.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return m?.[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The pkcs11 engine's package version (libp11), which does OpenSSL's side of every token call. */
function libp11Version(): string {
  const r = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'libengine-pkcs11-openssl'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? `libengine-pkcs11-openssl ${r.stdout.trim()}` : 'unknown';
}

function revision(cwd: string): string {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' });
  if (head.status !== 0) return 'not a git checkout';
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'main', 'bench'], { cwd, encoding: 'utf8' });
  return `${head.stdout.trim()}${dirty.stdout.trim() ? ' with uncommitted changes in main/ or bench/' : ''}`;
}

export function describeMachine(repoDir: string): Machine {
  return {
    nproc: availableParallelism(),
    cpuModel: cpuModel(),
    memoryGiB: Math.round(totalmem() / 2 ** 30 * 10) / 10,
    kernel: release(),
    node: process.version,
    openssl: firstLine('openssl', ['version']),
    softhsm: `SoftHSM ${firstLine('softhsm2-util', ['--version'])}`,
    libp11: libp11Version(),
    revision: revision(repoDir),
  };
}
