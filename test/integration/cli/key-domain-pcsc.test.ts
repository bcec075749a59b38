/**
 * The key-domain ceremony through the CLI, with two virtual SmartCard-HSMs in
 * two readers of a private pcscd (vpcd's two slots): two custodians make
 * their shares, each imports theirs into both HSMs ("k of n"), the root key
 * made on the first is backed up into a .wky and restored into the second,
 * the first is pulled out, and the second alone signs a certificate and a CRL
 * that OpenSSL verifies against the root. Refusals on the way: a CA key
 * before the domain is complete, a share imported twice, a wrong password,
 * a restore into a card that holds the key.
 *
 * Share files use 1,000 KDF rounds (CUSTOS_TEST_SHARE_FILE_ITERATIONS): at
 * sc-hsm-tool's 10,000,000 each file takes minutes on a shared test machine.
 * Needs root for pcscd's private namespaces.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInitializedCard, startCardProcess, type CardProcess } from '../../support/card-process.ts';

const ROOT = join(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'bin/custos.mjs');
const PIN = '648219';
const isRoot = process.getuid?.() === 0;

describe('key domain ceremony through the CLI, two HSMs in two PC/SC readers', { skip: isRoot ? false : 'a private pcscd needs root' }, () => {
  let work: string;
  let card: CardProcess;
  let env: NodeJS.ProcessEnv;
  const ids = { primary: '', secondary: '' };

  function custos(args: string[], expectStatus = 0): { stdout: string; stderr: string; json: any } {
    const r = spawnSync(process.execPath, [CLI, ...args, '--json'], { encoding: 'utf8', env, cwd: work, timeout: 120_000 });
    if (expectStatus >= 0) assert.equal(r.status, expectStatus, `custos ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
    let json: unknown;
    try { json = JSON.parse(r.stdout); } catch { json = undefined; }
    return { stdout: r.stdout, stderr: r.stderr, json };
  }
  const errorCode = (args: string[]): string => custos(args, -1).json?.error?.code;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-cli-domain-'));
    await createInitializedCard(join(work, 'primary.vsc'), PIN, 'Primary', { dkekShares: 2 });
    await createInitializedCard(join(work, 'secondary.vsc'), PIN, 'Secondary', { dkekShares: 2 });
    card = await startCardProcess(join(work, 'primary.vsc'), join(work, 'secondary.vsc'));
    env = {
      ...process.env, PCSCLITE_CSOCK_NAME: card.ready.socketPath, CUSTOS_HOME: join(work, 'home'), CUSTOS_OPERATOR: 'ceremony',
      CUSTOS_PIN: PIN, ANNA_PW: 'anna-password-1', BEN_PW: 'ben-password-22', WRONG_PW: 'not-the-password', CUSTOS_TEST_SHARE_FILE_ITERATIONS: '1000',
    };
    const tokens = custos(['tokens']).json as { id: string; reader: string }[];
    ids.primary = tokens.find((t) => t.reader === card.ready.readerName)!.id;
    ids.secondary = tokens.find((t) => t.reader === card.ready.second!.readerName)!.id;
    assert.ok(ids.primary && ids.secondary && ids.primary !== ids.secondary, JSON.stringify(tokens));
  });

  after(async () => {
    await card?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('runs the ceremony: shares, import into both, backup on the first, restore on the second, and the second signs alone', () => {
    const shares = join(work, 'shares');
    for (const d of ['shares', 'backup', 'out', 'chain']) spawnSync('mkdir', ['-p', join(work, d)]);
    const anna = custos(['dkek', 'create', '--custodian', 'Anna', '--out', shares, '--password-env', 'ANNA_PW']).json;
    const ben = custos(['dkek', 'create', '--custodian', 'Ben', '--out', shares, '--password-env', 'BEN_PW']).json;
    assert.match(anna.shareKcv, /^[0-9a-f]{16}$/);
    assert.ok(!JSON.stringify([anna, ben]).includes('password-1'), 'no password in the output');

    const early = custos(['key', 'generate', '--token-id', ids.primary, '--type', 'ec:P-384', '--label', 'root', '--pin-env', 'CUSTOS_PIN'], -1).json;
    assert.equal(early.error.code, 'KEYGEN_DOMAIN_INCOMPLETE');

    const importInto = (id: string, share: { path: string }, variable: string) => custos(['dkek', 'import', '--token-id', id, '--file', share.path, '--password-env', variable, '--pin-env', 'CUSTOS_PIN']).json;
    const one = importInto(ids.primary, anna, 'ANNA_PW');
    assert.deepEqual([one.importedShares, one.totalShares, one.complete], [1, 2, false]);
    assert.equal(errorCode(['dkek', 'import', '--token-id', ids.primary, '--file', anna.path, '--password-env', 'ANNA_PW', '--pin-env', 'CUSTOS_PIN']), 'DKEK_SHARE_ALREADY_IMPORTED');
    assert.equal(errorCode(['dkek', 'import', '--token-id', ids.primary, '--file', ben.path, '--password-env', 'WRONG_PW', '--pin-env', 'CUSTOS_PIN']), 'DKEK_SHARE_PASSWORD_WRONG');
    const two = importInto(ids.primary, ben, 'BEN_PW');
    assert.equal(two.complete, true);
    importInto(ids.secondary, ben, 'BEN_PW');
    // Anna's file against Ben's paper record: not the share recorded, so nothing goes in.
    assert.equal(errorCode(['dkek', 'import', '--token-id', ids.secondary, '--file', anna.path, '--password-env', 'ANNA_PW', '--share-kcv', ben.shareKcv, '--pin-env', 'CUSTOS_PIN']), 'DKEK_SHARE_ALTERED');
    const other = importInto(ids.secondary, anna, 'ANNA_PW');
    assert.equal(other.kcv, two.kcv);
    assert.equal(other.expectedKcv, two.kcv);
    const status = custos(['dkek', 'status', '--token-id', ids.secondary]).json;
    assert.deepEqual(status.shares.map((s: { shareKcv: string }) => s.shareKcv), [ben.shareKcv, anna.shareKcv]);

    const key = custos(['key', 'generate', '--token-id', ids.primary, '--type', 'ec:P-384', '--label', 'root', '--pin-env', 'CUSTOS_PIN']).json;
    custos(['ca', 'init', '--yes', '--token-id', ids.primary, '--key', 'root', '--subject', 'C=XX, O=Custos, CN=Domain Root', '--name', 'root', '--pin-env', 'CUSTOS_PIN']);
    const backup = custos(['key', 'backup', '--token-id', ids.primary, '--key', 'root', '--fingerprint', key.spkiSha256.slice(0, 16), '--out', join(work, 'backup'), '--pin-env', 'CUSTOS_PIN']).json;
    assert.equal(backup.domainKcv, two.kcv);
    assert.equal(JSON.parse(readFileSync(backup.metadataPath, 'utf8')).spkiSha256, key.spkiSha256);

    const restored = custos(['key', 'restore', '--token-id', ids.secondary, '--file', backup.wkyPath, '--pin-env', 'CUSTOS_PIN',
      '--source-token-id', ids.primary, '--source-pin-env', 'CUSTOS_PIN']).json;
    assert.equal(restored.spkiSha256, key.spkiSha256);
    assert.equal(restored.journalKeyVouched, true);
    assert.equal(errorCode(['key', 'restore', '--token-id', ids.secondary, '--file', backup.wkyPath, '--pin-env', 'CUSTOS_PIN']), 'KEY_ALREADY_PRESENT');

    return card.act('stop-bridge').then(() => {
      const tokens = custos(['tokens']).json as { id: string }[];
      assert.ok(!tokens.some((t) => t.id === ids.primary), 'the primary is out of its reader');
      const out = join(work, 'out');
      const req = spawnSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(work, 'leaf.key'),
        '-subj', '/CN=restored.custos.test', '-out', join(work, 'leaf.csr')], { encoding: 'utf8' });
      assert.equal(req.status, 0, req.stderr);
      custos(['sign', '--ca', 'root', '--csr', join(work, 'leaf.csr'), '--profile', 'tls-client', '--token-id', ids.secondary, '--out', out, '--yes', '--pin-env', 'CUSTOS_PIN']);
      custos(['crl', '--yes', '--ca', 'root', '--token-id', ids.secondary, '--out', out, '--format', 'pem', '--pin-env', 'CUSTOS_PIN']);
      custos(['export', '--ca', 'root', '--chain', '--format', 'pem', '--out', join(work, 'chain')]);
      const files = spawnSync('ls', [out, join(work, 'chain')], { encoding: 'utf8' }).stdout;
      const leafPem = join(out, files.split('\n').find((f) => /restored.*\.pem$|\.crt\.pem$|cert.*\.pem$/i.test(f) && !/crl/i.test(f)) ?? '');
      const crlPem = join(out, files.split('\n').find((f) => /crl.*\.pem$|\.crl\.pem$/i.test(f)) ?? '');
      const chainPem = join(work, 'chain', files.split('\n').find((f) => /chain.*\.pem$/i.test(f)) ?? '');
      const verify = spawnSync('openssl', ['verify', '-crl_check', '-CAfile', chainPem, '-CRLfile', crlPem, leafPem], { encoding: 'utf8' });
      assert.equal(verify.status, 0, `${files}\n${verify.stdout}${verify.stderr}`);
      const journal = readFileSync(join(work, 'home', 'journal.jsonl'), 'utf8');
      assert.ok(!journal.includes('anna-password-1') && !journal.includes(PIN), 'no password or PIN in the journal');
      const verified = custos(['journal', 'verify']).json;
      assert.equal(verified.ok, true);
    });
  });
});
