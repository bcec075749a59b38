/**
 * custos bundle through the CLI on a real SoftHSM2 token given as a
 * rehearsal module (so every token is VIRTUAL and the bundle a REHEARSAL):
 * a bundle signer, a bundle with the root's chain and CRL on a "medium",
 * `bundle verify` run with no data directory and no token, as on the online
 * machine, passing, then failing after one byte of one file is changed.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSoftHsm, type SoftHsm } from '../../support/softhsm.ts';

const ROOT = join(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'bin/custos.mjs');
const PIN = '582046';

describe('custos bundle on SoftHSM2 as a rehearsal token', () => {
  let hsm: SoftHsm;
  let work: string;
  let env: NodeJS.ProcessEnv;
  let medium: string;

  function custos(args: string[], expectStatus = 0, environment: NodeJS.ProcessEnv = env): { stdout: string; stderr: string; status: number | null; json: any } {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: environment, cwd: work });
    if (expectStatus !== -1) assert.equal(r.status, expectStatus, `custos ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
    let json: unknown;
    try { json = JSON.parse(r.stdout); } catch { json = undefined; }
    return { stdout: r.stdout, stderr: r.stderr, status: r.status, json };
  }

  before(async () => {
    hsm = await createSoftHsm();
    await hsm.initToken('Rehearsal HSM', '87654321', PIN);
    work = mkdtempSync(join(tmpdir(), 'custos-cli-bundle-'));
    medium = join(work, 'medium');
    mkdirSync(medium);
    env = { ...process.env, SOFTHSM2_CONF: hsm.conf, CUSTOS_HOME: join(work, 'home'), CUSTOS_PIN: PIN, CUSTOS_OPERATOR: 'test-operator' };
  });

  after(async () => {
    rmSync(work, { recursive: true, force: true });
    await hsm.cleanup();
  });

  const common = (): string[] => ['--rehearsal-module', hsm.modulePath, '--pin-env', 'CUSTOS_PIN'];

  it('makes a root, its bundle signer (a key of its own) and a CRL', () => {
    custos(['key', 'generate', '--token', 'Rehearsal HSM', '--type', 'ec:P-384', '--label', 'root-key', ...common()]);
    custos(['ca', 'init', '--yes', '--token', 'Rehearsal HSM', '--key', 'root-key', '--subject', 'C=XX, O=Custos Test, CN=Bundle CLI Root', '--name', 'root', ...common()]);
    const signer = custos(['bundle', 'signer', '--ca', 'root', '--token', 'Rehearsal HSM', ...common(), '--json']);
    assert.equal(signer.json.virtual, true);
    assert.match(signer.json.subject, /bundle signer/);
    custos(['crl', '--yes', '--ca', 'root', '--token', 'Rehearsal HSM', ...common()]);
    custos(['export', '--ca', 'root', '--chain', '--format', 'pem', '--out', work, ...common()]);
  });

  it('writes a bundle marked REHEARSAL in its manifest and in what it prints', () => {
    const r = custos(['bundle', 'create', '--ca', 'root', '--token', 'Rehearsal HSM', '--out', medium, '--name', 'publish', ...common()]);
    assert.match(r.stdout, /REHEARSAL: made with VIRTUAL tokens/);
    const json = custos(['bundle', 'create', '--ca', 'root', '--token', 'Rehearsal HSM', '--out', medium, '--name', 'publish-2', ...common(), '--json']).json;
    assert.equal(json.rehearsal, true);
    assert.deepEqual(readdirSync(join(medium, 'publish')).sort(), [...json.files.map((f: { name: string }) => f.name), 'custos-manifest.p7s'].sort());
  });

  /** An environment as on the online machine: no data directory, no token module, no PIN. */
  const online = (): NodeJS.ProcessEnv => ({ ...process.env, CUSTOS_HOME: join(work, 'no-such-home') });

  it('bundle verify passes on the online side with the root given, and says REHEARSAL', () => {
    const rootPem = readdirSync(work).find((n) => n.endsWith('-chain.pem'))!;
    const r = custos(['bundle', 'verify', join(medium, 'publish'), '--root', join(work, rootPem)], 0, online());
    assert.match(r.stdout, /Bundle verified: 2 files/);
    assert.match(r.stdout, /REHEARSAL/);
    assert.match(r.stdout, /root: {4}the one given/);
    const json = custos(['bundle', 'verify', join(medium, 'publish'), '--json'], 0, online()).json;
    assert.equal(json.ok, true);
    assert.equal(json.rehearsal, true);
  });

  it('bundle verify fails with BUNDLE_FILE_TAMPERED after one byte of one file is changed', () => {
    const dir = join(medium, 'publish');
    const crl = readdirSync(dir).find((n) => n.endsWith('.crl'))!;
    const bytes = readFileSync(join(dir, crl));
    bytes[bytes.length - 5]! ^= 0x01;
    writeFileSync(join(dir, crl), bytes);
    const r = custos(['bundle', 'verify', dir], 2, online());
    assert.match(r.stderr, new RegExp(`error BUNDLE_FILE_TAMPERED: ${crl.replace(/[.]/g, '\\.')} is not the file that was signed`));
    const json = custos(['bundle', 'verify', dir, '--json'], 2, online()).json;
    assert.equal(json.error.code, 'BUNDLE_FILE_TAMPERED');
  });

  it('refuses to write a bundle where the folder exists already, and names it', () => {
    const r = custos(['bundle', 'create', '--ca', 'root', '--token', 'Rehearsal HSM', '--out', medium, '--name', 'publish', ...common()], 2);
    assert.match(r.stderr, /error FILE_EXISTS: .*publish exists already/);
  });
});
