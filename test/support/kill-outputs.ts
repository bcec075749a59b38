/**
 * kill -9 while Custos signs and writes (the tests of
 * test/integration/ca/kill-batch.test.ts and kill-crl.test.ts): a child process on a real SoftHSM2
 * token issues batches (each certificate exported with its metadata) or CRLs
 * (kept in the data folder and exported) in a loop and is killed at varied
 * moments. After every kill, no file under a final name is empty or cut
 * short, no artifact is without its .custos.json, and the journal opens.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import 'reflect-metadata';
import { X509Crl } from '@peculiar/x509';
import { createSoftHsm, type SoftHsm } from './softhsm.ts';
import { Custos } from '../../main/custos.ts';
import { Secret } from '../../main/secret.ts';
import { createRoot } from '../../main/ca/root.ts';
import { checkpointAfterReview } from '../../main/ca/journal-anchor.ts';
import { Journal } from '../../main/journal/index.ts';
import { METADATA_SUFFIX } from '../../main/ca/export.ts';
import { removeLeftoverTemporaries, temporariesIn } from '../../main/fs/atomic-file.ts';

const PIN = '864213';
const KILLS_PER_MODE = 20;

/** Starts the child, waits for it to be at work, lets it work delayMs, and kills it. */
function killAfter(args: string[], env: NodeJS.ProcessEnv, delayMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(process.cwd(), 'test/support/outputs-until-killed.ts'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.stdout.on('data', (d: Buffer) => { if (d.toString().includes('go')) setTimeout(() => child.kill('SIGKILL'), delayMs); });
    child.on('error', reject);
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve(stderr) : reject(new Error(`the child ended by itself (${code}): ${stderr}`))));
  });
}

/** Every file under a final name in dir (temporaries are not final names). */
function finalFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => !n.startsWith('.'));
}

function assertWholeOutputs(out: string, crlStore: string, after: string): void {
  for (const name of finalFiles(crlStore)) {
    const bytes = readFileSync(join(crlStore, name));
    assert.ok(bytes.length > 0, `${after}: ${name} in the data folder is empty`);
    assert.doesNotThrow(() => new X509Crl(bytes), `${after}: ${name} in the data folder is not a whole CRL`);
  }
  const names = new Set(finalFiles(out));
  for (const name of names) {
    const bytes = readFileSync(join(out, name));
    assert.ok(bytes.length > 0, `${after}: ${name} is empty`);
    if (name.endsWith(METADATA_SUFFIX)) {
      const metadata = JSON.parse(bytes.toString('utf8')) as { sha256: string; file: string };
      const artifact = join(out, metadata.file);
      // Metadata alone is what a kill between the two names leaves; with its artifact, they agree.
      if (existsSync(artifact)) assert.equal(createHash('sha256').update(readFileSync(artifact)).digest('hex'), metadata.sha256, `${after}: ${metadata.file} disagrees with its metadata`);
      continue;
    }
    assert.ok(names.has(`${name}${METADATA_SUFFIX}`), `${after}: ${name} has no ${METADATA_SUFFIX}`);
    if (name.endsWith('.crl')) assert.doesNotThrow(() => new X509Crl(bytes), `${after}: ${name} is not a whole CRL`);
    // The rehearsal note before the PEM block is explanatory text (RFC 7468 §5.2).
    else if (name.endsWith('.crl.pem')) assert.doesNotThrow(() => new X509Crl(bytes.toString('latin1').slice(bytes.indexOf('-----BEGIN'))), `${after}: ${name} is not a whole CRL`);
    else if (name.endsWith('.pem') || name.endsWith('.cer') || name.endsWith('.der')) assert.doesNotThrow(() => new X509Certificate(bytes), `${after}: ${name} is not a whole certificate`);
  }
}

/**
 * A kill that fell between a CA signature and its checkpoint leaves that act
 * under no checkpoint, which verification reports (JOURNAL_UNANCHORED) until
 * an operator, having checked the entries, signs one (custos journal
 * checkpoint). The last of the kills may fall there; that is what is done then.
 */
async function checkpointIfCutOff(home: string, modulePath: string): Promise<void> {
  const j = Journal.open({ dir: home, operator: 'tester' });
  const verdict = j.verify();
  j.close();
  if (verdict.ok || verdict.code !== 'JOURNAL_UNANCHORED') return;
  const custos = Custos.open({ dataDir: home, rehearsalModules: [modulePath], operator: 'tester' });
  try {
    const [listed] = await custos.tokens.list();
    const token = await custos.login(listed!.id, Secret.fromString(PIN));
    await checkpointAfterReview(custos.ctx, token);
  } finally {
    await custos.close();
  }
}

/** The test of one mode, each in a file of its own (kill-batch.test.ts, kill-crl.test.ts) to keep every file's run short. */
export function describeKillTest(mode: 'batch' | 'crl'): void {
describe(`outputs under kill -9 (${mode})`, () => {
  let hsm: SoftHsm;
  let work: string;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let caId: string;

  before(async () => {
    hsm = await createSoftHsm();
    await hsm.initToken('Kill HSM', '11223344', PIN);
    work = mkdtempSync(join(tmpdir(), 'custos-kill-'));
    home = join(work, 'home');
    env = { ...process.env, SOFTHSM2_CONF: hsm.conf, CUSTOS_PIN: PIN };
    const custos = Custos.open({ dataDir: home, rehearsalModules: [hsm.modulePath], operator: 'tester' });
    try {
      const [listed] = await custos.tokens.list();
      await custos.login(listed!.id, Secret.fromString(PIN));
      const key = await custos.generateKey(listed!.id, { kind: 'ec', curve: 'P-384' }, 'root');
      caId = (await createRoot(custos.ctx, { tokenId: listed!.id, keySpkiSha256: key.spkiSha256, profileId: 'root-ca', subject: 'CN=Kill Root', name: 'root' })).id;
    } finally {
      await custos.close();
    }
  });

  after(async () => {
    rmSync(work, { recursive: true, force: true });
    await hsm.cleanup();
  });

  {
    it(`leaves no empty or partial file under a final name, and no artifact without its metadata, killed at ${KILLS_PER_MODE} moments of a ${mode === 'batch' ? 'batch' : 'CRL'}`, { timeout: 170_000 }, async () => {
      const out = join(work, `out-${mode}`);
      mkdirSync(out);
      for (let i = 0; i < KILLS_PER_MODE; i++) {
        // Spread over the first second of work, a prime step apart so the moments fall at different steps of each act.
        await killAfter([mode, home, out, hsm.modulePath], env, 10 + ((i * 73) % 1000));
        assertWholeOutputs(out, join(home, 'crls', caId), `after kill ${i + 1}`);
      }
      await checkpointIfCutOff(home, hsm.modulePath);
      const j = Journal.open({ dir: home, operator: 'tester' });
      try {
        const v = j.verify();
        assert.equal(v.ok, true, `${v.code ?? ''} ${v.reason ?? ''}`);
        assert.ok(j.read().some((e) => e.kind === (mode === 'batch' ? 'certificate.issue.done' : 'crl.issue.done')), 'the child got as far as signing');
      } finally {
        j.close();
      }
      // Temporaries of the killed processes are removed by the next write into their folder.
      removeLeftoverTemporaries(out);
      assert.deepEqual(await temporariesIn(out), []);
      assert.ok(statSync(out).isDirectory());
    });
  }
});
}
