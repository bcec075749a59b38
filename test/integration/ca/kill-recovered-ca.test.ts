/**
 * kill -9 after the token signed a CA certificate and before the journal's
 * done entry, on a real SoftHSM2 token: the next open records what the token
 * signed (ca.root.recovered, certificate.issue.recovered) and makes the CA
 * its done entry would have made. The CA is listed as recovered, signs
 * certificates OpenSSL verifies under it, and nothing is signed a second time
 * for it.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSoftHsm, type SoftHsm } from '../../support/softhsm.ts';
import { runTool } from '../../support/openssl.ts';
import { Custos } from '../../../main/custos.ts';
import { Secret } from '../../../main/secret.ts';
import { CustosError } from '../../../main/errors/index.ts';
import { createRoot } from '../../../main/ca/root.ts';
import { importRequests } from '../../../main/ca/requests.ts';
import { issueCertificate } from '../../../main/ca/issue.ts';
import { requestForTokenKey } from '../../../main/ca/key-request.ts';
import { checkpointAfterReview } from '../../../main/ca/journal-anchor.ts';
import { CaState, type CaRecord } from '../../../main/ca/state.ts';
import { createHandlers } from '../../../main/api/handlers.ts';
import { ReadGrants } from '../../../main/exchange/read-grants.ts';
import { PEM_LABEL, toPem } from '../../../main/pki/formats/index.ts';

const PIN = '246813';
const pem = (der: Uint8Array): string => toPem(der, PEM_LABEL.certificate);

async function leafRequest(cn: string): Promise<Uint8Array> {
  const r = await runTool('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'k.pem', '-out', 'r.csr', '-subj', `/CN=${cn}`, '-addext', `subjectAltName=DNS:${cn}`], { outputs: ['r.csr'] });
  assert.equal(r.code, 0, r.stderr);
  return r.outputs['r.csr']!;
}

/** `openssl verify` of leaf under root, through the intermediates given: its output line. */
async function opensslVerify(root: Uint8Array, leaf: Uint8Array, intermediates: Uint8Array[] = []): Promise<{ code: number; out: string }> {
  const files: Record<string, string> = { 'root.pem': pem(root), 'leaf.pem': pem(leaf), 'chain.pem': intermediates.map(pem).join('') };
  const r = await runTool('openssl', ['verify', '-x509_strict', '-CAfile', 'root.pem', ...(intermediates.length ? ['-untrusted', 'chain.pem'] : []), 'leaf.pem'], { files });
  return { code: r.code, out: `${r.stdout}${r.stderr}`.trim() };
}

function runKilled(hsm: SoftHsm, script: string, args: string[]): void {
  const child = spawnSync(process.execPath, ['--import', 'tsx', join(process.cwd(), 'test/support', script), ...args],
    { env: { ...process.env, SOFTHSM2_CONF: hsm.conf, CUSTOS_PIN: PIN }, encoding: 'utf8', timeout: 120_000 });
  assert.equal(child.signal, 'SIGKILL', `the child was to be killed: ${child.status} ${child.stderr}`);
}

/**
 * The token signed the CA certificate once: one intent for its subject, closed
 * by the abandoned entry and the recovered one, and no done entry or second
 * intent after it.
 */
function assertSignedOnce(custos: Custos, act: string, subject: string): void {
  const entries = custos.journal.read();
  const intents = entries.filter((e) => e.kind === `${act}.intent` && e.data.subject === subject);
  assert.equal(intents.length, 1, `one ${act} intent for ${subject}`);
  const closing = entries.filter((e) => e.intent === intents[0]!.seq).map((e) => e.kind);
  assert.deepEqual(closing, [`${act}.abandoned`, `${act}.recovered`]);
}

/**
 * The recovered act lies under no signed checkpoint (the kill came before
 * it): the CA signs nothing until a person has read the entries and signed
 * one, as an operator does with custos journal checkpoint.
 */
async function checkpointAfterReading(custos: Custos, recoveredSeq: number, sign: () => Promise<unknown>): Promise<void> {
  assert.equal(custos.ctx.anchors?.problemAtOpen()?.code, 'JOURNAL_UNANCHORED');
  assert.equal(custos.ctx.anchors?.problemAtOpen()?.seq, recoveredSeq, 'the recovered entry is the act under no checkpoint');
  const token = await custos.login((await custos.tokens.list())[0]!.id, Secret.fromString(PIN));
  await assert.rejects(sign(), (e: unknown) => e instanceof CustosError && e.code === 'JOURNAL_UNANCHORED', 'nothing is signed before the review');
  await checkpointAfterReview(custos.ctx, token);
  assert.equal(custos.ctx.anchors?.problemAtOpen(), undefined);
}

describe('a CA certificate cut off from its record by kill -9', () => {
  let hsm: SoftHsm;
  let work: string;
  let home: string;
  let rootKey: string;
  let subKey: string;

  before(async () => {
    hsm = await createSoftHsm();
    await hsm.initToken('CA Kill HSM', '24681357', PIN);
    work = mkdtempSync(join(tmpdir(), 'custos-ca-kill-'));
    home = join(work, 'home');
    const custos = Custos.open({ dataDir: home, rehearsalModules: [hsm.modulePath], operator: 'tester', pcsc: false });
    try {
      const tokenId = (await custos.tokens.list())[0]!.id;
      await custos.login(tokenId, Secret.fromString(PIN));
      rootKey = (await custos.generateKey(tokenId, { kind: 'ec', curve: 'P-384' }, 'root')).spkiSha256;
      subKey = (await custos.generateKey(tokenId, { kind: 'ec', curve: 'P-256' }, 'issuing')).spkiSha256;
    } finally {
      await custos.close();
    }
  });

  after(async () => {
    rmSync(work, { recursive: true, force: true });
    await hsm.cleanup();
  });

  let root: CaRecord;

  it('lists a root signed just before the kill as a recovered CA, which signs a certificate OpenSSL verifies under it, with no second root signed', { timeout: 180_000 }, async () => {
    runKilled(hsm, 'root-killed-before-record.ts', [home, hsm.modulePath, rootKey, 'C=DE, O=Custos Test, CN=Recovered Root', 'Recovered Root']);

    // The operator's next command opens the journal first: it records the root, says which CA it is and what to do next.
    const cli = spawnSync(process.execPath, [join(process.cwd(), 'bin/custos.mjs'), 'ca', 'list'],
      { env: { ...process.env, SOFTHSM2_CONF: hsm.conf, CUSTOS_HOME: home, CUSTOS_OPERATOR: 'tester' }, encoding: 'utf8', timeout: 120_000 });
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stderr, /journal entry #\d+ records what the token signed for entry #\d+ \(ca\.root\)/, cli.stderr);
    assert.match(cli.stderr, /it is the root CA "Recovered Root", listed as its done entry would have made it\. No signed checkpoint covers it: .*custos journal checkpoint/, cli.stderr);
    assert.match(cli.stdout, /^Recovered Root {2}root {2}CN=Recovered Root,O=Custos Test,C=DE {2}until \S+ {2}\(recorded after an interrupted run, journal entry #\d+\)$/m, cli.stdout);

    const custos = Custos.open({ dataDir: home, rehearsalModules: [hsm.modulePath], operator: 'tester', pcsc: false });
    try {
      assert.deepEqual(custos.journal.recoveredAtOpen, [], 'recorded once, by the first open after the kill');
      const recovered = custos.journal.read().find((e) => e.kind === 'ca.root.recovered');
      assert.ok(recovered);
      const cas = [...custos.state.cas.values()];
      assert.equal(cas.length, 1, 'the root the token signed is in the CA list');
      root = cas[0]!;
      assert.equal(root.name, 'Recovered Root');
      assert.equal(root.kind, 'root');
      assert.equal(root.subject, 'CN=Recovered Root,O=Custos Test,C=DE');
      assert.equal(root.keySpkiSha256, rootKey);
      assert.deepEqual(root.recovered, { seq: recovered.seq, nameFrom: 'intent' });
      assert.deepEqual(Buffer.from(root.certDer), Buffer.from(String(recovered.data.result), 'base64'), 'the CA\'s certificate is the one the token signed');
      assert.equal(root.journalKeys.length, 1, 'the journal key recorded for the root before it was signed is the root\'s');
      assert.equal((await opensslVerify(root.certDer, root.certDer)).code, 0, 'OpenSSL takes it as a self-signed root');

      // The same state read again from the journal's entries alone (the projection is pure).
      assert.equal(CaState.fromEntries(custos.journal.read()).cas.get(root.id)?.name, 'Recovered Root');

      // The window's CA list shows it, as recovered.
      const handlers = createHandlers(custos, { readGrants: new ReadGrants() });
      const listed = await handlers['ca.list']();
      assert.deepEqual(listed.map((c) => [c.name, c.recovered?.nameFrom]), [['Recovered Root', 'intent']]);
      // A window whose catalog saw every entry before the kill asks what changed since: the recovered root's certificate.
      const rootIntentSeq = custos.journal.read().find((e) => e.kind === 'ca.root.intent')!.seq;
      const changes = await handlers['certificate.changes']({ afterSeq: rootIntentSeq - 1 });
      assert.deepEqual(changes.certificates.map((c) => [c.caId, c.sha256, c.recovered]), [[root.id, root.id, true]], 'certificate.changes names the recovered root');

      // Making it again is refused: the token never signs a second root under that name.
      await assert.rejects(createRoot(custos.ctx, { tokenId: (await custos.tokens.list())[0]!.id, keySpkiSha256: rootKey, profileId: 'root-ca', subject: 'CN=Recovered Root', name: 'Recovered Root' }),
        (e: unknown) => e instanceof CustosError && e.code === 'CA_EXISTS');
      assertSignedOnce(custos, 'ca.root', root.subject);

      const requestId = importRequests(custos.ctx, 'leaf.csr', await leafRequest('leaf.example'))[0]!.record.id;
      const issueLeaf = () => issueCertificate(custos.ctx, { caId: root.id, requestId, profileId: 'tls-server' });
      await checkpointAfterReading(custos, recovered.seq, issueLeaf);
      const leaf = await issueLeaf();
      const verified = await opensslVerify(root.certDer, leaf.certDer);
      assert.equal(verified.code, 0, verified.out);
      assert.match(verified.out, /leaf\.pem: OK/);
    } finally {
      await custos.close();
    }
  });

  it('makes a subordinate CA signed from a CSR just before the kill a CA under its issuer, which signs a certificate OpenSSL verifies through it', { timeout: 180_000 }, async () => {
    assert.ok(root, 'the root of the test before');
    let requestId: string;
    const setup = Custos.open({ dataDir: home, rehearsalModules: [hsm.modulePath], operator: 'tester', pcsc: false });
    try {
      await setup.login((await setup.tokens.list())[0]!.id, Secret.fromString(PIN));
      requestId = (await requestForTokenKey(setup.ctx, { tokenId: (await setup.tokens.list())[0]!.id, keySpkiSha256: subKey, subject: 'C=DE, O=Custos Test, CN=Issuing CA 1' })).record.id;
    } finally {
      await setup.close();
    }

    runKilled(hsm, 'issue-killed-before-record.ts', [home, hsm.modulePath, root.id, requestId, 'subordinate-ca', 'Issuing One']);

    const custos = Custos.open({ dataDir: home, rehearsalModules: [hsm.modulePath], operator: 'tester', pcsc: false });
    try {
      const [recovered] = custos.journal.recoveredAtOpen;
      assert.deepEqual(custos.journal.recoveredAtOpen.map((e) => e.kind), ['certificate.issue.recovered']);
      assert.ok(recovered);
      const sub = [...custos.state.cas.values()].find((c) => c.kind === 'subordinate');
      assert.ok(sub, 'the subordinate the token signed is a CA');
      assert.equal(sub.name, 'Issuing One', 'named as the operator named it when signing');
      assert.equal(sub.issuerId, root.id);
      assert.equal(sub.keySpkiSha256, subKey);
      assert.deepEqual(sub.recovered, { seq: recovered.seq, nameFrom: 'intent' });
      assert.deepEqual(sub.journalKeys.map((k) => k.spkiSha256), root.journalKeys.map((k) => k.spkiSha256), 'it starts with its issuer\'s journal key');
      const issued = [...(custos.state.issued.get(root.id)?.values() ?? [])].find((r) => r.sha256 === sub.id);
      assert.deepEqual([issued?.isCa, issued?.recovered], [true, true], 'in the root\'s list of issued certificates, as recovered');
      assert.equal(custos.state.requests.get(requestId)?.signedSerial, issued?.serialHex, 'its request shows as signed');
      const sameUnder = await opensslVerify(root.certDer, sub.certDer);
      assert.equal(sameUnder.code, 0, sameUnder.out);

      const handlers = createHandlers(custos, { readGrants: new ReadGrants() });
      const listed = (await handlers['ca.list']()).find((c) => c.id === sub.id);
      assert.deepEqual([listed?.kind, listed?.issuerId, listed?.recovered?.nameFrom], ['subordinate', root.id, 'intent']);
      assertSignedOnce(custos, 'certificate.issue', sub.subject);

      const leafId = importRequests(custos.ctx, 'leaf2.csr', await leafRequest('leaf2.example'))[0]!.record.id;
      const issueLeaf = () => issueCertificate(custos.ctx, { caId: sub.id, requestId: leafId, profileId: 'tls-server' });
      await checkpointAfterReading(custos, recovered.seq, issueLeaf);
      const leaf = await issueLeaf();
      const verified = await opensslVerify(root.certDer, leaf.certDer, [sub.certDer]);
      assert.equal(verified.code, 0, verified.out);
      assert.match(verified.out, /leaf\.pem: OK/);
    } finally {
      await custos.close();
    }
  });
});
