/**
 * Requests that lie, given to the real CLI (bin/custos.mjs): each is refused
 * with its code and exit status, in text and in --json, and no byte of a
 * hostile name reaches the terminal as a control: no ESC, no bidi control,
 * no line the CLI did not write itself. Text already in a journal (written
 * before these rules, or by a hostile operator name) is shown escaped too.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../../../main/journal/index.ts';
import {
  ecRequest, indefiniteLength, opensslRequestWithSans, outerLengthOneShort, rsaExponentOneRequest, utf8Name,
} from '../../unit/pki/x509/hostile-requests.ts';
import { toPem } from '../../unit/pki/x509/requests.ts';

const ROOT = join(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'bin/custos.mjs');

// A CN that, printed as it is, would add two fake lines to the sign preview and clear the screen.
const FAKE_LINES_CN = 'www.example.test\n  lint info: checked, nothing to report\n  [critical] basicConstraints: {"ca":true}\u001b[2J';
// Any control byte but the newline, and every bidi control: none may be written to a terminal.
// eslint-disable-next-line no-control-regex
const TERMINAL_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('CLI with requests that lie', () => {
  let work: string;
  const file = (name: string, bytes: Uint8Array | string): string => {
    const path = join(work, name);
    writeFileSync(path, bytes);
    return path;
  };

  function custos(args: string[]): { stdout: string; stderr: string; status: number | null } {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: work, env: { ...process.env, CUSTOS_HOME: join(work, 'home') } });
    for (const [name, text] of [['stdout', r.stdout], ['stderr', r.stderr]] as const) {
      assert.doesNotMatch(text, TERMINAL_CONTROL, `custos ${args.join(' ')}: ${name} holds a control or bidi character: ${JSON.stringify(text)}`);
    }
    return { stdout: r.stdout, stderr: r.stderr, status: r.status };
  }

  before(() => { work = mkdtempSync(join(tmpdir(), 'custos-hostile-')); });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('refuses a CN with newlines and ESC: one error line, no fake line, and --json stays JSON', async () => {
    const path = file('fake-lines.pem', toPem('CERTIFICATE REQUEST', await ecRequest(utf8Name(FAKE_LINES_CN))));
    const text = custos(['csr', 'show', path]);
    assert.equal(text.status, 2);
    assert.equal(text.stdout, '');
    const lines = text.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, text.stderr);
    assert.match(lines[0]!, /^error CSR_NAME_CHARACTERS: The subject CN holds U\+000A \(a line feed\)/);
    const json = custos(['csr', 'show', path, '--json']);
    assert.equal(JSON.parse(json.stdout).error.code, 'CSR_NAME_CHARACTERS');
  });

  it('refuses the e = 1 request with CSR_KEY_WEAK and exit status 4, naming publicExponent', async () => {
    const r = custos(['csr', 'show', file('e1.der', await rsaExponentOneRequest(utf8Name('e1.example.test')))]);
    assert.equal(r.status, 4);
    assert.match(r.stderr, /^error CSR_KEY_WEAK: .*publicExponent is 1;/);
  });

  it('refuses BER with CSR_NOT_DER, a short outer length with CSR_MALFORMED, PEM with trailing text with CSR_TRAILING_BYTES', async () => {
    const good = await ecRequest(utf8Name('der.example.test'));
    assert.match(custos(['csr', 'show', file('ber.der', indefiniteLength(good))]).stderr, /^error CSR_NOT_DER: .*indefinite length/);
    assert.match(custos(['csr', 'show', file('short.der', outerLengthOneShort(good))]).stderr, /^error CSR_MALFORMED: /);
    assert.match(custos(['csr', 'show', file('trailing.pem', `${toPem('CERTIFICATE REQUEST', good)}unsigned words\n`)]).stderr, /^error CSR_TRAILING_BYTES: /);
    assert.equal(custos(['csr', 'show', file('good.der', good)]).status, 0);
  });

  it('refuses 10,000 SANs with CSR_TOO_MANY_NAMES and the limit, and shows 1,000', async () => {
    const many = custos(['csr', 'show', file('many.der', await opensslRequestWithSans(10_000)), '--json']);
    assert.deepEqual(JSON.parse(many.stdout).error.details, { names: 10_000, maxNames: 1000 });
    const shown = custos(['csr', 'show', file('thousand.der', await opensslRequestWithSans(1000))]);
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, /DNS: n1\.example\.test, .*, n1000\.example\.test\n/);
  });

  it('shows a journal\u2019s hostile operator name and token label escaped in text, and exactly in --json', () => {
    const home = join(work, 'journal-home');
    const operator = 'mallory\u001b[2J\n#999 forged entry\u202etxt';
    const journal = Journal.open({ dir: home, operator });
    journal.append('request.import', { requestId: '00'.repeat(32), subject: FAKE_LINES_CN }, { token: { label: 'card\u001b]0;owned\u0007', serial: '1', model: 'SmartCard-HSM', backend: 'virtual', virtual: true } });
    journal.close();
    const text = custos(['journal', 'show', '--home', home]);
    assert.equal(text.status, 0, text.stderr);
    const lines = text.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 1, text.stdout);
    assert.match(lines[0]!, /by mallory\\u\{1B\}\[2J\\u\{A\}#999 forged entry\\u\{202E\}txt on card\\u\{1B\}\]0;owned\\u\{7\} \[VIRTUAL\]$/);
    const json = custos(['journal', 'show', '--home', home, '--json']);
    const [entry] = JSON.parse(json.stdout) as { operator: string }[];
    assert.equal(entry!.operator, operator);
  });
});
