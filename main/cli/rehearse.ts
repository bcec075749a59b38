/**
 * A full rehearsal with no hardware: a rehearsal token (SoftHSM2, marked
 * VIRTUAL in every journal entry), a root, a subordinate CA whose key is made
 * on the token, a TLS leaf for a simulated applicant, a revocation and CRLs,
 * all written to one folder and checked (signatures here, and by OpenSSL when
 * it is installed). Its journal is its own: a rehearsal never touches the
 * operator's real one.
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes, sign as nodeSign, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CustosError } from '../errors/index.ts';
import { Custos } from '../custos.ts';
import { Secret } from '../hsm/secret.ts';
import { DEFAULT_SOFTHSM_MODULE } from '../hsm/pkcs11/index.ts';
import { createRoot } from '../ca/root.ts';
import { importRequests } from '../ca/requests.ts';
import { issueCertificate } from '../ca/issue.ts';
import { revokeSerial } from '../ca/revoke.ts';
import { issueCrl } from '../ca/crl.ts';
import { exportCertificate, exportChain, exportCrl } from '../ca/export.ts';
import { requestForKey } from '../ca/key-request.ts';
import { parseSubject } from '../ca/subject.ts';
import { signAlgorithmFor } from '../pki/x509/algorithms.ts';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { Extension, GeneralName, GeneralNames } from '@peculiar/asn1-x509';
import { OID } from '../pki/oids.ts';
import type { Output } from './output.ts';
import type { CliValues } from './commands.ts';

const TOKEN_LABEL = 'Custos Rehearsal HSM';

interface Check { readonly what: string; readonly ok: boolean; readonly detail: string }

function softHsmToken(dir: string, soPin: string, userPin: string): void {
  const tokens = join(dir, 'tokens');
  mkdirSync(tokens, { recursive: true, mode: 0o700 });
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  // SoftHSM reads its configuration once, when the module is initialised: set it before any token is opened.
  process.env.SOFTHSM2_CONF = conf;
  const r = spawnSync('softhsm2-util', ['--init-token', '--free', '--label', TOKEN_LABEL, '--so-pin', soPin, '--pin', userPin], { encoding: 'utf8', env: process.env });
  if (r.error || r.status !== 0) {
    throw new CustosError('MODULE_LOAD_FAILED', 'The rehearsal token could not be made: install SoftHSM2 (apt-get install softhsm2, or run scripts/setup.sh).', {});
  }
}

function opensslVerify(args: string[]): { ok: boolean; text: string } | undefined {
  const r = spawnSync('openssl', ['verify', ...args], { encoding: 'utf8' });
  if (r.error) return undefined;
  return { ok: r.status === 0, text: `${r.stdout}${r.stderr}`.trim() };
}

export async function rehearse(values: CliValues, out: Output): Promise<void> {
  const outDir = resolve(typeof values.out === 'string' ? values.out : `custos-rehearsal-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  if (existsSync(outDir) && readdirSync(outDir).length > 0) {
    throw new CustosError('FILE_EXISTS', `${outDir} is not empty: a rehearsal writes into a new folder.`, { path: outDir });
  }
  const artifacts = join(outDir, 'artifacts');
  mkdirSync(artifacts, { recursive: true });
  // Rehearsal PINs: random, held in memory for this run only, never printed.
  const userPin = randomBytes(6).toString('hex');
  softHsmToken(join(outDir, 'token'), randomBytes(6).toString('hex'), userPin);

  const core = Custos.open({ dataDir: join(outDir, 'data'), rehearsalModules: [DEFAULT_SOFTHSM_MODULE], operator: typeof values.operator === 'string' ? values.operator : 'rehearsal' });
  const checks: Check[] = [];
  try {
    const ctx = core.ctx;
    const [listed] = await core.tokens.list();
    if (!listed) throw new CustosError('TOKEN_NOT_FOUND', 'The rehearsal token did not appear.', {});
    out.note(`Rehearsal token: ${listed.info.label} [VIRTUAL], serial ${listed.info.serial}`);
    await core.login(listed.id, Secret.fromString(userPin));

    out.note('1/7 Generating the root key (EC P-384) on the token…');
    const rootKey = await core.generateKey(listed.id, { kind: 'ec', curve: 'P-384' }, 'rehearsal-root');
    out.note('2/7 Creating the root CA…');
    const root = await createRoot(ctx, { tokenId: listed.id, keySpkiSha256: rootKey.spkiSha256, profileId: 'root-ca', subject: 'C=XX, O=Custos Rehearsal, CN=Custos Rehearsal Root CA', name: 'rehearsal-root', validityDays: 3650 });

    out.note('3/7 Generating the subordinate key on the token and signing its request…');
    const subKey = await core.generateKey(listed.id, { kind: 'ec', curve: 'P-384' }, 'rehearsal-issuing');
    const token = await core.tokens.open(listed.id);
    const subCsr = await requestForKey(token.signer(subKey), parseSubject('C=XX, O=Custos Rehearsal, CN=Custos Rehearsal Issuing CA'), signAlgorithmFor(subKey.spec));
    writeFileSync(join(artifacts, 'issuing-ca.csr.der'), subCsr);
    const [subReq] = importRequests(ctx, 'issuing-ca.csr.der', subCsr);
    const sub = await issueCertificate(ctx, { caId: root.id, requestId: subReq!.record.id, profileId: 'subordinate-ca', name: 'rehearsal-issuing', validityDays: 1825, pathLen: 0 });

    out.note('4/7 Signing a TLS server certificate for a simulated applicant…');
    const applicant = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const applicantSpki = new Uint8Array(applicant.publicKey.export({ type: 'spki', format: 'der' }));
    const leafCsr = await requestForKey({ spki: applicantSpki, sign: async (data) => new Uint8Array(nodeSign('sha256', data, { key: applicant.privateKey, dsaEncoding: 'der' })) },
      parseSubject('C=XX, O=Custos Rehearsal, CN=rehearsal.example'), { scheme: 'ecdsa', hash: 'SHA-256' },
      [new Extension({ extnID: OID.subjectAltName, critical: false, extnValue: new OctetString(AsnConvert.serialize(new GeneralNames([new GeneralName({ dNSName: 'rehearsal.example' })]))) })]);
    const [leafReq] = importRequests(ctx, 'applicant.csr.der', leafCsr);
    const leaf = await issueCertificate(ctx, { caId: sub.sha256, requestId: leafReq!.record.id, profileId: 'tls-server', validityDays: 90 });

    out.note('5/7 Revoking the leaf (keyCompromise) and issuing CRLs…');
    revokeSerial(ctx, { caId: sub.sha256, serialHex: leaf.serialHex, reason: 'keyCompromise', invalidityDate: new Date(Date.now() - 3_600_000) });
    const subCrl = await issueCrl(ctx, { caId: sub.sha256 });
    const rootCrl = await issueCrl(ctx, { caId: root.id });

    out.note('6/7 Exporting…');
    const rootSerial = [...ctx.state.issued.get(root.id)!.values()].find((r) => r.sha256 === root.id)!.serialHex;
    const files = {
      root: (await exportCertificate(ctx, { caId: root.id, serialHex: rootSerial, format: 'pem', directory: artifacts })).path,
      rootDer: (await exportCertificate(ctx, { caId: root.id, serialHex: rootSerial, format: 'der', directory: artifacts })).path,
      sub: (await exportCertificate(ctx, { caId: root.id, serialHex: sub.serialHex, format: 'pem', directory: artifacts })).path,
      leaf: (await exportCertificate(ctx, { caId: sub.sha256, serialHex: leaf.serialHex, format: 'pem', directory: artifacts })).path,
      leafDer: (await exportCertificate(ctx, { caId: sub.sha256, serialHex: leaf.serialHex, format: 'der', directory: artifacts })).path,
      leafP7b: (await exportCertificate(ctx, { caId: sub.sha256, serialHex: leaf.serialHex, format: 'p7b', directory: artifacts })).path,
      chain: (await exportChain(ctx, { caId: sub.sha256, format: 'pem', directory: artifacts })).path,
      subCrl: (await exportCrl(ctx, { caId: sub.sha256, crlNumber: subCrl.record.crlNumber, format: 'pem', directory: artifacts })).path,
      subCrlDer: (await exportCrl(ctx, { caId: sub.sha256, crlNumber: subCrl.record.crlNumber, format: 'der', directory: artifacts })).path,
      rootCrl: (await exportCrl(ctx, { caId: root.id, crlNumber: rootCrl.record.crlNumber, format: 'pem', directory: artifacts })).path,
    };

    out.note('7/7 Checking…');
    const rootX = new X509Certificate(Buffer.from(root.certDer));
    const subX = new X509Certificate(Buffer.from(sub.certDer));
    const leafX = new X509Certificate(Buffer.from(leaf.certDer));
    checks.push({ what: 'root is self-signed', ok: rootX.verify(rootX.publicKey), detail: rootX.subject.replace(/\n/g, ', ') });
    checks.push({ what: 'issuing CA signed by root', ok: subX.verify(rootX.publicKey) && subX.checkIssued(rootX), detail: subX.subject.replace(/\n/g, ', ') });
    checks.push({ what: 'leaf signed by issuing CA', ok: leafX.verify(subX.publicKey) && leafX.checkIssued(subX), detail: leafX.subject.replace(/\n/g, ', ') });
    const subOk = opensslVerify(['-crl_check', '-CAfile', files.root, '-CRLfile', files.rootCrl, files.sub]);
    if (subOk) checks.push({ what: 'openssl verify -crl_check: issuing CA is valid', ok: subOk.ok, detail: subOk.text });
    const leafRevoked = opensslVerify(['-crl_check', '-CAfile', files.root, '-untrusted', files.sub, '-CRLfile', files.subCrl, files.leaf]);
    if (leafRevoked) checks.push({ what: 'openssl verify -crl_check: revoked leaf is refused', ok: !leafRevoked.ok && /revoked/i.test(leafRevoked.text), detail: leafRevoked.text.split('\n').pop() ?? '' });
    const journal = core.journal.verify();
    checks.push({ what: 'journal verifies', ok: journal.ok, detail: `${journal.entries} entries` });

    const report = { outDir, token: { label: listed.info.label, serial: listed.info.serial, virtual: true }, root: root.subject, issuing: sub.subject, leaf: { subject: leaf.subject, serialHex: leaf.serialHex, revoked: true }, files, checks };
    writeFileSync(join(outDir, 'rehearsal-report.json'), `${JSON.stringify(report, null, 2)}\n`);
    const failed = checks.filter((c) => !c.ok);
    out.result(report, () => [
      `Rehearsal written to ${outDir} (VIRTUAL token: nothing here is for production).`,
      ...checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.what}${c.detail ? ` — ${c.detail}` : ''}`),
      failed.length ? `${failed.length} check(s) failed.` : 'All checks passed.',
    ].join('\n'));
    if (failed.length) throw new CustosError('INTERNAL', `Rehearsal checks failed: ${failed.map((c) => c.what).join('; ')}.`, {});
  } finally {
    await core.close();
  }
}
