/**
 * A small disk that really fills: a child process runs in its own mount
 * namespace (unshare, as root, as test/support/pcscd.ts runs pcscd) with a
 * tmpfs of the given size mounted on mountPoint, which stays an empty folder
 * for everyone else. The tmpfs goes away with the child: what a test wants
 * to look at afterwards, the child copies out (cp -a) before it ends.
 */
import { spawn, spawnSync } from 'node:child_process';

export interface TmpfsRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** True when this process may make mount namespaces (root, unshare present). */
export function canMountTmpfs(): boolean {
  const probe = spawnSync('unshare', ['--mount', '--propagation', 'private', 'true'], { stdio: 'ignore' });
  return probe.status === 0;
}

/**
 * Runs `node --import tsx script ...args` in a mount namespace where a tmpfs
 * of sizeBytes is mounted on mountPoint (an existing empty folder).
 */
export function runOnTmpfs(mountPoint: string, sizeBytes: number, script: string, args: readonly string[] = [], env: NodeJS.ProcessEnv = process.env, timeoutMs = 120_000): Promise<TmpfsRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c',
      'mount -t tmpfs -o "size=$1,mode=0700" tmpfs "$2" && shift 2 && exec "$@"', 'tmpfs-ns',
      String(sizeBytes), mountPoint, process.execPath, '--import', 'tsx', script, ...args], { cwd: process.cwd(), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (status) => { clearTimeout(timer); resolve({ status, stdout, stderr }); });
  });
}
