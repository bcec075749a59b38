/**
 * The CLI binds to what was reviewed, across runs, on a real SoftHSM2 token:
 * a run without --yes prints the preview and its TBS SHA-256 and signs
 * nothing; a later run with --yes --tbs-sha256 signs exactly that preview, or
 * refuses one whose terms changed. Then a request is made from a second token
 * key for a subordinate CA, signed under the name given, revoked (a CA
 * certificate), and the journal is exported and checked.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSoftHsm, type SoftHsm } from '../../support/softhsm.ts';
import { verifyJournalFile } from '../../../main/journal/index.ts';

const ROOT = join(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'bin/custos.mjs');
const PIN = '471136';

describe('CLI previews that bind, on SoftHSM2', () => {
  let hsm: SoftHsm;
  let work: string;
  let env: NodeJS.ProcessEnv;
  const out = (...p: string[]): string => join(work, 'out', ...p);

  function custos(args: string[], expectStatus = 0): { stdout: string; stderr: string; status: number | null; json: any } {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, cwd: work, input: '' });
    if (expectStatus !== -1) assert.equal(r.status, expectStatus, `custos ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
    let json: unknown;
    try { json = JSON.parse(r.stdout); } catch { json = undefined; }
    return { stdout: r.stdout, stderr: r.stderr, status: r.status, json };
  }
  const common = (): string[] => ['--module', hsm.modulePath, '--pin-env', 'CUSTOS_PIN', '--token', 'Bind HSM'];
  const hashShown = (stderr: string): string => {
    const m = /TBS SHA-256: ((?:[0-9a-f]{4} ?){16})/.exec(stderr);
    assert.ok(m, `no TBS SHA-256 in:\n${stderr}`);
    return m[1]!.replace(/ /g, '');
  };
  const rootArgs = ['ca', 'init', '--key', 'root-key', '--subject', 'C=XX, O=Custos, CN=Bound Root', '--name', 'root'];

  before(async () => {
    hsm = await createSoftHsm();
    await hsm.initToken('Bind HSM', '87654321', PIN);
    work = mkdtempSync(join(tmpdir(), 'custos-cli-bind-'));
    mkdirSync(out(), { recursive: true });
    env = { ...process.env, SOFTHSM2_CONF: hsm.conf, CUSTOS_HOME: join(work, 'home'), CUSTOS_PIN: PIN, CUSTOS_OPERATOR: 'test-operator' };
    custos(['key', 'generate', '--type', 'ec:P-384', '--label', 'root-key', ...common()]);
    custos(['key', 'generate', '--type', 'ec:P-256', '--label', 'issuing-key', ...common()]);
  });

  after(async () => {
    rmSync(work, { recursive: true, force: true });
    await hsm.cleanup();
  });

  it('prints the root and its TBS SHA-256 and signs nothing without --yes', () => {
    const r = custos([...rootArgs, ...common()], 2);
    assert.match(r.stderr, /error CONFIRMATION_REQUIRED/);
    assert.match(r.stderr, /subject: .*CN=Bound Root/);
    hashShown(r.stderr);
    assert.equal(custos(['ca', 'list', '--json']).json.length, 0);
  });

  it('refuses with PREVIEW_MISMATCH a later run whose subject differs from the preview it names', () => {
    const preview = hashShown(custos([...rootArgs, ...common()], 2).stderr);
    const r = custos(['ca', 'init', '--key', 'root-key', '--subject', 'C=XX, O=Custos, CN=Other Root', '--name', 'root', '--yes', '--tbs-sha256', preview, ...common()], 2);
    assert.match(r.stderr, /error PREVIEW_MISMATCH/);
    assert.match(custos([...rootArgs, '--yes', '--tbs-sha256', 'ab'.repeat(32), ...common()], 2).stderr, /error PREVIEW_EXPIRED/);
  });

  it('signs in a later run exactly the root an earlier run previewed', () => {
    const preview = hashShown(custos([...rootArgs, ...common()], 2).stderr);
    custos([...rootArgs, '--yes', '--tbs-sha256', preview, ...common(), '--json']);
    const journal = readFileSync(join(work, 'home', 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(journal.find((e: { kind: string }) => e.kind === 'ca.root.intent').data.tbsSha256, preview);
  });

  it('makes a request from a token key and signs it as a subordinate CA under the name given, bound to its preview', () => {
    const made = custos(['key', 'csr', '--key', 'issuing-key', '--subject', 'C=XX, O=Custos, CN=Bound Issuing CA', '--out', out(), ...common(), '--json']).json;
    const csrFile = made.path as string;
    const verify = spawnSync('openssl', ['req', '-in', csrFile, '-noout', '-verify'], { encoding: 'utf8' });
    assert.equal(verify.status, 0, verify.stderr);
    assert.match(`${verify.stdout}${verify.stderr}`, /verify OK/i);
    const signArgs = ['sign', '--ca', 'root', '--csr', csrFile, '--profile', 'subordinate-ca', '--name', 'issuing'];
    const preview = hashShown(custos([...signArgs, ...common()], 2).stderr);
    custos([...signArgs, '--yes', '--tbs-sha256', preview, ...common()]);
    const cas = custos(['ca', 'list', '--json']).json as { name: string; subject: string }[];
    assert.ok(cas.some((c) => c.name === 'issuing' && /Bound Issuing CA/.test(c.subject)), JSON.stringify(cas));
  });

  it('revokes the subordinate CA certificate and lists it, in words, in the CRL preview', () => {
    const sub = (custos(['ca', 'list', '--json']).json as { name: string; id: string }[]).find((c) => c.name === 'issuing')!;
    const journal = readFileSync(join(work, 'home', 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const serial = journal.find((e: { kind: string; data: { sha256?: string } }) => e.kind === 'certificate.issue.done' && e.data.sha256 === sub.id).data.serialHex;
    const asked = custos(['revoke', '--ca', 'root', '--serial', serial, '--reason', 'cACompromise'], 2);
    assert.match(asked.stderr, /error CONFIRMATION_REQUIRED/);
    assert.match(asked.stderr, /subject: .*CN=Bound Issuing CA.*\(a CA certificate/);
    assert.match(asked.stderr, /reason: +The CA key was compromised/);
    assert.ok(!readFileSync(join(work, 'home', 'journal.jsonl'), 'utf8').includes('"certificate.revoke"'), 'nothing revoked unconfirmed');
    custos(['revoke', '--yes', '--ca', 'root', '--serial', serial, '--reason', 'cACompromise']);
    const r = custos(['crl', '--ca', 'root', ...common()], 2);
    assert.match(r.stderr, /About to issue CRL #1/);
    assert.match(r.stderr, new RegExp(`${serial}\\s+The CA key was compromised`));
    const preview = hashShown(r.stderr);
    custos(['crl', '--ca', 'root', '--yes', '--tbs-sha256', preview, '--out', out(), '--format', 'der', ...common()]);
  });

  it('exports the journal as JSON lines that verify, and as a page to print', () => {
    const jsonl = custos(['journal', 'export', '--format', 'jsonl', '--out', out(), '--json']).json.path as string;
    assert.equal(verifyJournalFile(jsonl).ok, true);
    const html = custos(['journal', 'export', '--format', 'html', '--out', out(), '--json']).json.path as string;
    const page = readFileSync(html, 'utf8');
    assert.match(page, /<h1>Custos journal<\/h1>/);
    assert.match(page, /ca\.root\.intent/);
    assert.ok(readdirSync(out()).some((n) => n.endsWith('.custos.json')), 'metadata beside each export');
  });
});
