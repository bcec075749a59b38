/**
 * `custos cvc` on a real SoftHSM2 token, each command in its own process as
 * a person runs it: a CVCA, a DV request made for a token key, a DV
 * certificate, a terminal request brought on a medium, its certificate, the
 * chain exported as a folder and as one file, and cvc-print reading them.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSoftHsm, type SoftHsm } from '../../support/softhsm.ts';
import { plainRequest } from '../../unit/cvc/support.ts';

const ROOT = join(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'bin/custos.mjs');
const PIN = '471135';

describe('custos cvc on SoftHSM2', () => {
  let hsm: SoftHsm;
  let work: string;
  let env: NodeJS.ProcessEnv;

  function custos(args: string[], expectStatus = 0): { stdout: string; stderr: string; json: any } {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, cwd: work });
    assert.equal(r.status, expectStatus, `custos ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
    let json: unknown;
    try { json = JSON.parse(r.stdout); } catch { json = undefined; }
    return { stdout: r.stdout, stderr: r.stderr, json };
  }
  const common = (): string[] => ['--module', hsm.modulePath, '--token', 'CVC HSM', '--pin-env', 'CUSTOS_PIN'];

  before(async () => {
    hsm = await createSoftHsm();
    await hsm.initToken('CVC HSM', '87654321', PIN);
    work = mkdtempSync(join(tmpdir(), 'custos-cvc-cli-'));
    env = { ...process.env, SOFTHSM2_CONF: hsm.conf, CUSTOS_HOME: join(work, 'home'), CUSTOS_PIN: PIN, CUSTOS_OPERATOR: 'test-operator' };
  });

  after(async () => {
    rmSync(work, { recursive: true, force: true });
    await hsm.cleanup();
  });

  it('makes a CVCA, a DV and a terminal certificate, and cvc-print verifies the chain it exports', () => {
    custos(['key', 'generate', '--type', 'ec:P-256', '--label', 'cvca', ...common()]);
    custos(['key', 'generate', '--type', 'ec:P-256', '--label', 'dv', ...common()]);
    const refused = custos(['cvc', 'init', '--key', 'cvca', '--chr', 'UTCVCA00001', ...common()], 2);
    assert.match(`${refused.stdout}${refused.stderr}`, /body SHA-256: ([0-9a-f]{4} ){15}[0-9a-f]{4}\n/, 'the preview names the body\'s hash, in groups of four to read aloud, before asking');
    const cvca = custos(['cvc', 'init', '--key', 'cvca', '--chr', 'UTCVCA00001', '--days', '1000', '--yes', '--json', ...common()]).json;
    assert.equal(cvca.chr, 'UTCVCA00001');
    const out = join(work, 'out');
    mkdirSync(out);
    const dvRequest = custos(['cvc', 'request', '--key', 'dv', '--chr', 'UTDVCUSTOS00001', '--car', 'UTCVCA00001', '--out', out, '--json', ...common()]).json;
    assert.equal(dvRequest.file, join(out, 'UTDVCUSTOS00001.cvreq'));
    custos(['cvc', 'sign', '--issuer', 'UTCVCA00001', '--request', dvRequest.requestId, '--profile', 'dv-domestic', '--auth', 'read-dg1,read-dg2,age-verification', '--yes', ...common()]);
    const terminalFile = join(work, 'UTTERM000001.cvreq');
    writeFileSync(terminalFile, plainRequest('UTTERM000001').raw);
    const shown = custos(['cvc', 'show', terminalFile]);
    assert.match(shown.stdout, /plain request: possession of the key only/);
    custos(['cvc', 'sign', '--issuer', 'UTDVCUSTOS00001', '--request', terminalFile, '--profile', 'terminal-at', '--days', '30', '--yes', ...common()]);
    const exported = custos(['cvc', 'export', '--certificate', 'UTTERM000001', '--chain', '--out', out, '--json']).json;
    assert.deepEqual(readdirSync(exported.path).filter((n) => n.endsWith('.cvcert')).sort(), ['UTCVCA00001.cvcert', 'UTDVCUSTOS00001.cvcert', 'UTTERM000001.cvcert']);
    const trusted = join(work, 'trusted');
    mkdirSync(trusted);
    for (const chr of ['UTCVCA00001', 'UTDVCUSTOS00001']) writeFileSync(join(trusted, chr), readFileSync(join(exported.path, `${chr}.cvcert`)));
    for (const chr of ['UTCVCA00001', 'UTDVCUSTOS00001', 'UTTERM000001']) {
      const r = spawnSync('cvc-print', ['--cvc', join(exported.path, `${chr}.cvcert`), '--cvc-dir', trusted], { encoding: 'utf8' });
      assert.match(r.stdout, /certificate verified/, `${chr}: ${r.stdout}${r.stderr}`);
    }
    const concatenated = custos(['cvc', 'export', '--certificate', 'UTTERM000001', '--chain', '--concat', '--out', out, '--json']).json;
    const reread = custos(['cvc', 'show', concatenated.path, '--json']).json;
    assert.deepEqual(reread.map((c: { chr: string }) => c.chr), ['UTCVCA00001', 'UTDVCUSTOS00001', 'UTTERM000001']);
    const again = custos(['cvc', 'export', '--certificate', 'UTTERM000001', '--out', out]);
    assert.match(again.stdout, /UTTERM000001\.cvcert/);
    const twice = custos(['cvc', 'export', '--certificate', 'UTTERM000001', '--out', out, '--json'], 2);
    assert.match(twice.stderr + twice.stdout, /FILE_EXISTS/);
  });

  it('refuses a request with a broken inner signature with its code, and records nothing', () => {
    const made = plainRequest('UTTERM000009');
    const broken = Uint8Array.from(made.raw);
    broken[broken.length - 1]! ^= 1;
    const file = join(work, 'broken.cvreq');
    writeFileSync(file, broken);
    const before = readFileSync(join(work, 'home', 'journal.jsonl'), 'utf8');
    const r = custos(['cvc', 'show', file, '--import', '--json'], 2);
    assert.match(r.stderr + r.stdout, /CVC_INNER_SIGNATURE_INVALID/);
    assert.equal(readFileSync(join(work, 'home', 'journal.jsonl'), 'utf8'), before);
  });
});
