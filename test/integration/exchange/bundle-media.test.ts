/**
 * Bundles on media that fail: a tmpfs of its own in a mount namespace
 * (test/support/small-tmpfs.ts's way) that is too small, mounted read-only,
 * or unmounted while the bundle is written (a stick pulled), and a writer
 * killed with SIGKILL at varied moments. After each, the journal says what
 * happened and nothing on the medium looks like a whole bundle unless it is one.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSoftHsm, type SoftHsm } from '../../support/softhsm.ts';
import { canMountTmpfs } from '../../support/small-tmpfs.ts';
import { Custos } from '../../../main/custos.ts';
import { Secret } from '../../../main/secret.ts';
import { createRoot } from '../../../main/ca/root.ts';
import { issueCrl } from '../../../main/ca/crl.ts';
import { createBundleSigner } from '../../../main/exchange/bundle-signer.ts';
import { createBundle } from '../../../main/exchange/bundle.ts';
import { verifyBundle } from '../../../main/exchange/bundle-verify.ts';

const PIN = '314159';
const WRITER = join(import.meta.dirname, '../../support/bundle-writer.ts');

interface Outcome { readonly code?: string; readonly ok?: boolean; readonly kinds?: string[]; readonly left: string[] }

/**
 * Runs the writer in a mount namespace where a tmpfs of sizeBytes is on
 * mountPoint ($mnt); `then` is shell run after the mount and before the
 * writer (remount read-only), `alongside` shell run beside it.
 */
function onTmpfs(mountPoint: string, sizeBytes: number, writerArgs: readonly string[], shell: { then?: string; alongside?: string } = {}): Promise<Outcome> {
  const script = [
    'set -e', 'mnt="$2"', 'mount -t tmpfs -o "size=$1,mode=0755" tmpfs "$mnt"', shell.then ?? ':', 'shift 2',
    '"$@" &', 'writer=$!', 'set +e', shell.alongside ?? ':', 'wait $writer',
  ].join('\n');
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'tmpfs-ns', String(sizeBytes), mountPoint,
      process.execPath, '--import', 'tsx', WRITER, ...writerArgs], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (!line) return reject(new Error(`the writer said nothing:\n${stdout}\n${stderr}`));
      resolve(JSON.parse(line) as Outcome);
    });
  });
}

describe('bundles on media that fail', { skip: canMountTmpfs() ? false : 'needs mount namespaces (root and unshare)' }, () => {
  let hsm: SoftHsm;
  let work: string;
  let home: string;
  let caId: string;
  let source: string;

  before(async () => {
    hsm = await createSoftHsm();
    await hsm.initToken('Media HSM', '13572468', PIN);
    work = mkdtempSync(join(tmpdir(), 'custos-bundle-media-'));
    home = join(work, 'home');
    const custos = Custos.open({ dataDir: home, pkcs11Modules: [hsm.modulePath], pcsc: false, operator: 'tester' });
    try {
      const [token] = await custos.tokens.list();
      await custos.login(token!.id, Secret.fromString(PIN));
      const key = await custos.generateKey(token!.id, { kind: 'ec', curve: 'P-384' }, 'root');
      caId = (await createRoot(custos.ctx, { tokenId: token!.id, keySpkiSha256: key.spkiSha256, profileId: 'root-ca', subject: 'CN=Media Root', name: 'media-root' })).id;
      await issueCrl(custos.ctx, { caId });
      await createBundleSigner(custos.ctx, { caId, tokenId: token!.id });
      mkdirSync(join(work, 'source-medium'));
      source = (await createBundle(custos.ctx, { caId, directory: join(work, 'source-medium'), name: 'source' })).path;
    } finally {
      // The writer opens this data directory itself: the journal's lock goes with this process's hold.
      await custos.close();
    }
  });

  after(async () => {
    rmSync(work, { recursive: true, force: true });
    await hsm?.cleanup();
  });

  function freshMountPoint(name: string): string {
    const dir = join(work, name);
    mkdirSync(dir);
    return dir;
  }

  it('a full medium refuses the bundle before the token signs: MEDIA_FULL, nothing on the medium, no intent in the journal', async () => {
    const medium = freshMountPoint('full');
    const outcome = await onTmpfs(medium, 16 * 1024, ['create', home, hsm.modulePath, PIN, caId, medium, 'bundle']);
    assert.equal(outcome.code, 'MEDIA_FULL');
    assert.deepEqual(outcome.left, []);
    assert.deepEqual(outcome.kinds, []);
  });

  it('a medium that fills while the files are written: MEDIA_FULL, and the folder begun is removed', async () => {
    const medium = freshMountPoint('fills');
    const outcome = await onTmpfs(medium, 1024 * 1024, ['copy', source, join(medium, 'bundle'), String(4 * 1024 * 1024)]);
    assert.equal(outcome.code, 'MEDIA_FULL');
    assert.deepEqual(outcome.left, []);
  });

  it('a read-only medium refuses the bundle before the token signs: MEDIA_READ_ONLY, no intent in the journal', async () => {
    const medium = freshMountPoint('read-only');
    const outcome = await onTmpfs(medium, 1024 * 1024, ['create', home, hsm.modulePath, PIN, caId, medium, 'bundle'], { then: 'mount -o remount,ro "$mnt"' });
    assert.equal(outcome.code, 'MEDIA_READ_ONLY');
    assert.deepEqual(outcome.left, []);
    assert.deepEqual(outcome.kinds, []);
  });

  it('a medium unmounted mid-write: MEDIA_REMOVED, and what the mount point shows afterwards is no bundle', async () => {
    const medium = freshMountPoint('pulled');
    // The stick is pulled once the bundle's folder exists and its files are being written.
    const outcome = await onTmpfs(medium, 600 * 1024 * 1024, ['copy', source, join(medium, 'bundle'), String(400 * 1024 * 1024)], {
      alongside: 'n=0; while [ ! -d "$mnt/bundle" ] && [ $n -lt 3000 ]; do sleep 0.01; n=$((n+1)); done; sleep 0.05; umount -l "$mnt"',
    });
    assert.equal(outcome.code, 'MEDIA_REMOVED');
    assert.deepEqual(outcome.left, []);
  });

  it('a writer killed at any moment leaves each folder a whole bundle that verifies, or one without a manifest that reads as incomplete', async () => {
    let incomplete = 0;
    let whole = 0;
    for (const delayMs of [5, 20, 40, 80, 120, 200, 300, 450]) {
      const medium = freshMountPoint(`killed-${delayMs}`);
      const child = spawn(process.execPath, ['--import', 'tsx', WRITER, 'loop', source, medium], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, delayMs));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('close', r));
      for (const name of readdirSync(medium)) {
        const report = await verifyBundle(join(medium, name));
        if (report.ok) whole++;
        else {
          assert.deepEqual(report.problems.map((p) => p.code), ['BUNDLE_MANIFEST_MISSING'], `${name} after a kill at ${delayMs} ms`);
          incomplete++;
        }
      }
    }
    assert.ok(whole > 0, 'some bundles were finished before the kills');
    assert.ok(incomplete > 0, 'some kills fell while a bundle was being written');
  });
});
