/**
 * The foundation's whole flow through the CLI, on a real SoftHSM2 token: a
 * root, an OpenSSL-made request (key on the same token, through the pkcs11
 * engine) signed as a subordinate CA, a leaf from an OpenSSL-made request
 * signed by that subordinate, a revocation and CRLs — then OpenSSL and GnuTLS
 * read everything, and the journal verifies until one byte of it is flipped.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSoftHsm, type SoftHsm } from '../../support/softhsm.ts';

const ROOT = join(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'bin/custos.mjs');
const PIN = '471135';

describe('CLI CA flow on SoftHSM2', () => {
  let hsm: SoftHsm;
  let work: string;
  let env: NodeJS.ProcessEnv;
  const out = (...p: string[]): string => join(work, 'out', ...p);

  function custos(args: string[], expectStatus = 0): { stdout: string; stderr: string; status: number | null; json: any } {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, cwd: work });
    if (expectStatus !== -1) assert.equal(r.status, expectStatus, `custos ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
    let json: unknown;
    try { json = JSON.parse(r.stdout); } catch { json = undefined; }
    return { stdout: r.stdout, stderr: r.stderr, status: r.status, json };
  }

  function tool(cmd: string, args: string[]): { status: number | null; text: string } {
    const r = spawnSync(cmd, args, { encoding: 'utf8', env, cwd: work });
    return { status: r.status, text: `${r.stdout}${r.stderr}` };
  }

  const fileLike = (re: RegExp): string => {
    const f = readdirSync(out()).find((n) => re.test(n));
    assert.ok(f, `no exported file matches ${re}: ${readdirSync(out()).join(', ')}`);
    return out(f);
  };

  before(async () => {
    hsm = await createSoftHsm();
    await hsm.initToken('CA HSM', '87654321', PIN);
    work = mkdtempSync(join(tmpdir(), 'custos-cli-'));
    spawnSync('mkdir', ['-p', out()]);
    env = {
      ...process.env, SOFTHSM2_CONF: hsm.conf, CUSTOS_HOME: join(work, 'home'), CUSTOS_PIN: PIN, CUSTOS_OPERATOR: 'test-operator',
    };
  });

  after(async () => {
    rmSync(work, { recursive: true, force: true });
    await hsm.cleanup();
  });

  const common = (): string[] => ['--module', hsm.modulePath, '--pin-env', 'CUSTOS_PIN'];

  it('lists the token with its PIN state before any login', () => {
    const r = custos(['tokens', '--module', hsm.modulePath, '--json']);
    assert.equal(r.json[0].label, 'CA HSM');
    assert.equal(r.json[0].pinState.locked, false);
    assert.equal(r.json[0].loggedIn, false);
  });

  it('makes a root on a token key', () => {
    custos(['key', 'generate', '--token', 'CA HSM', '--type', 'ec:P-384', '--label', 'root-key', ...common()]);
    const r = custos(['ca', 'init', '--token', 'CA HSM', '--key', 'root-key', '--subject', 'C=XX, O=Custos Test, CN=Custos Test Root', '--name', 'root', '--yes', ...common(), '--json']);
    assert.match(r.json.subject, /CN=Custos Test Root/);
  });

  it('signs an OpenSSL-made request, key on the token, as a subordinate CA', () => {
    custos(['key', 'generate', '--token', 'CA HSM', '--type', 'ec:P-384', '--label', 'sub-key', ...common()]);
    const req = tool('openssl', ['req', '-new', '-engine', 'pkcs11', '-keyform', 'engine', '-key', `pkcs11:token=CA%20HSM;object=sub-key;type=private;pin-value=${PIN}`,
      '-subj', '/C=XX/O=Custos Test/CN=Custos Test Issuing CA', '-out', join(work, 'sub.csr')]);
    assert.equal(req.status, 0, req.text);
    const r = custos(['sign', '--ca', 'root', '--csr', join(work, 'sub.csr'), '--profile', 'subordinate-ca', '--name', 'sub', '--path-len', '0', '--token', 'CA HSM', ...common(), '--yes', '--out', out(), '--format', 'pem', '--format', 'der', '--json']);
    assert.equal(r.json[0].isCa, true);
  });

  it('signs an OpenSSL-made leaf request with the subordinate', () => {
    const req = tool('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(work, 'leaf.key'),
      '-subj', '/CN=www.custos.test', '-addext', 'subjectAltName=DNS:www.custos.test', '-out', join(work, 'leaf.csr')]);
    assert.equal(req.status, 0, req.text);
    const r = custos(['sign', '--ca', 'sub', '--csr', join(work, 'leaf.csr'), '--profile', 'tls-server', '--token', 'CA HSM', ...common(), '--yes', '--out', out(), '--format', 'pem', '--format', 'der', '--format', 'p7b', '--json']);
    assert.equal(r.json[0].isCa, false);
    writeFileSync(join(work, 'leaf-serial'), r.json[0].serialHex);
  });

  it('refuses to sign without --yes when no one can confirm', () => {
    const r = custos(['sign', '--ca', 'sub', '--csr', join(work, 'leaf.csr'), '--profile', 'tls-server', '--token', 'CA HSM', ...common(), '--json'], 2);
    assert.equal(r.json.error.code, 'CONFIRMATION_REQUIRED');
  });

  it('signs the certificate its preview showed: the serial in the preview is the serial signed', () => {
    const req = tool('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(work, 'shown.key'),
      '-subj', '/CN=shown.custos.test', '-out', join(work, 'shown.csr')]);
    assert.equal(req.status, 0, req.text);
    const r = custos(['sign', '--ca', 'sub', '--csr', join(work, 'shown.csr'), '--profile', 'tls-client', '--token', 'CA HSM', ...common(), '--yes']);
    const signed = /Signed CN=shown\.custos\.test, serial ([0-9a-f]+)/.exec(r.stdout);
    assert.ok(signed, r.stdout);
    assert.match(r.stderr, new RegExp(`serial:\\s+${signed[1]}\\n`), r.stderr);
  });

  it('exports the root and issues CRLs after revoking the leaf', () => {
    const rootSerial = custos(['ca', 'list', '--json']).json.find((c: { name: string }) => c.name === 'root');
    assert.ok(rootSerial);
    custos(['export', '--ca', 'root', '--chain', '--format', 'pem', '--out', out()]);
    custos(['revoke', '--yes', '--ca', 'sub', '--serial', readFileSync(join(work, 'leaf-serial'), 'utf8'), '--reason', 'keyCompromise']);
    const again = custos(['revoke', '--ca', 'sub', '--serial', readFileSync(join(work, 'leaf-serial'), 'utf8'), '--reason', 'keyCompromise', '--json'], 2);
    assert.equal(again.json.error.code, 'ALREADY_REVOKED');
    custos(['crl', '--yes', '--ca', 'sub', '--token', 'CA HSM', ...common(), '--out', out(), '--format', 'der', '--format', 'pem']);
    const rootCrl = custos(['crl', '--yes', '--ca', 'root', '--token', 'CA HSM', ...common(), '--out', out(), '--format', 'pem']);
    // The act's last line is the journal head to write down; the CRL and its exports lie under the checkpoint after them.
    const last = rootCrl.stdout.trim().split('\n').at(-1)!;
    assert.match(last, /^journal head \d+:[0-9a-f]{64} \(0 entries not yet under a signed checkpoint\)$/);
    writeFileSync(join(work, 'crl-head'), /(\d+:[0-9a-f]{64})/.exec(last)![1]!);
  });

  it('verifies the journal against the head a CRL printed, and fails with JOURNAL_TRUNCATED once it is cut back before it', () => {
    const head = readFileSync(join(work, 'crl-head'), 'utf8');
    const ok = custos(['journal', 'verify', '--head', head]);
    assert.match(ok.stdout, /; 0 entries not yet under a signed checkpoint\./);
    assert.match(ok.stdout, new RegExp(`It still reaches the head ${head}\\.`));
    const cut = join(work, 'cut-home');
    spawnSync('mkdir', ['-p', cut]);
    // Cut back to before the root CRL's result (its intent is the last line left).
    const lines = readFileSync(join(work, 'home', 'journal.jsonl'), 'utf8').split('\n');
    writeFileSync(join(cut, 'journal.jsonl'), `${lines.slice(0, Number(head.split(':')[0]) - 5).join('\n')}\n`);
    assert.equal(custos(['journal', 'verify', '--home', cut, '--json']).json.ok, true, 'cut at a line boundary, the rest verifies alone');
    const bad = custos(['journal', 'verify', '--home', cut, '--head', head, '--json'], 5);
    assert.equal(bad.json.error.code, 'JOURNAL_TRUNCATED');
    assert.equal(custos(['journal', 'verify', '--head', 'not-a-head', '--json'], 2).json.error.code, 'INPUT_INVALID');
  });

  it('OpenSSL verifies the chain with CRLs: the subordinate passes, the revoked leaf fails', () => {
    const chain = fileLike(/^root-chain\.pem$/);
    const sub = fileLike(/^Custos_Test_Issuing_CA-.*\.pem$/);
    const leaf = fileLike(/^www\.custos\.test-.*\.pem$/);
    const subCrl = fileLike(/^sub-crl-1\.crl\.pem$/);
    const rootCrl = fileLike(/^root-crl-1\.crl\.pem$/);
    const subOk = tool('openssl', ['verify', '-crl_check', '-CAfile', chain, '-CRLfile', rootCrl, sub]);
    assert.equal(subOk.status, 0, subOk.text);
    const leafBad = tool('openssl', ['verify', '-crl_check', '-CAfile', chain, '-untrusted', sub, '-CRLfile', subCrl, leaf]);
    assert.notEqual(leafBad.status, 0);
    assert.match(leafBad.text, /certificate revoked/);
    const leafNoCrl = tool('openssl', ['verify', '-CAfile', chain, '-untrusted', sub, leaf]);
    assert.equal(leafNoCrl.status, 0, leafNoCrl.text);
  });

  it('writes files that OpenSSL and GnuTLS read in both encodings', () => {
    const leafDer = fileLike(/^www\.custos\.test-.*\.cer$/);
    const leafPem = fileLike(/^www\.custos\.test-.*\.pem$/);
    assert.equal(tool('openssl', ['x509', '-inform', 'DER', '-in', leafDer, '-noout', '-subject']).status, 0);
    assert.match(tool('openssl', ['x509', '-in', leafPem, '-noout', '-ext', 'subjectAltName']).text, /DNS:www\.custos\.test/);
    assert.equal(tool('certtool', ['-i', '--infile', leafPem]).status, 0);
    assert.equal(tool('certtool', ['-i', '--inder', '--infile', leafDer]).status, 0);
    const crlDer = fileLike(/^sub-crl-1\.crl$/);
    assert.match(tool('openssl', ['crl', '-inform', 'DER', '-in', crlDer, '-noout', '-text']).text, /Key Compromise/);
    assert.equal(tool('certtool', ['--crl-info', '--inder', '--infile', crlDer]).status, 0);
    const p7b = fileLike(/^www\.custos\.test-.*\.p7b$/);
    const certs = tool('openssl', ['pkcs7', '-inform', 'DER', '-in', p7b, '-print_certs', '-noout']).text;
    assert.equal((certs.match(/subject=/g) ?? []).length, 3, certs);
  });

  it('verifies the journal, and names the entry whose byte was flipped', () => {
    const ok = custos(['journal', 'verify', '--json']);
    assert.equal(ok.json.ok, true);
    const path = join(work, 'home', 'journal.jsonl');
    const text = readFileSync(path);
    const lines = text.toString('utf8').split('\n');
    const target = 5;
    let offset = lines.slice(0, target - 1).reduce((n, l) => n + l.length + 1, 0);
    offset += lines[target - 1]!.indexOf('"kind"') + 9; // a byte inside the entry's kind
    text[offset] = text[offset]! ^ 0x01;
    writeFileSync(path, text);
    const bad = custos(['journal', 'verify', '--json'], 5);
    assert.equal(bad.json.error.code, 'JOURNAL_TAMPERED');
    assert.equal(bad.json.error.details.firstBadSeq, target);
    assert.match(bad.json.error.message, new RegExp(`entry #${target}`));
    const refused = custos(['ca', 'list', '--json'], 5);
    assert.equal(refused.json.error.code, 'JOURNAL_TAMPERED');
  });
});
