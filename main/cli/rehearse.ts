/**
 * A full rehearsal with no hardware, on the virtual SmartCard-HSMs (every
 * token and journal entry marked VIRTUAL): two of three custodians unlock the
 * CA HSM, a root key is made on it and backed up under the DKEK into the
 * backup HSM of the same key domain, a subordinate CA key is made on the CA
 * HSM, a TLS leaf is signed for a simulated applicant and revoked, and the
 * root's CRL is signed by the backup HSM alone. Everything is written to one
 * folder and checked (signatures here, and by OpenSSL when it is installed).
 * Its journal is its own: a rehearsal never touches the operator's real one.
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, sign as nodeSign, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { writeNewFileSync } from '../fs/atomic-file.ts';
import { join, resolve } from 'node:path';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { Extension, GeneralName, GeneralNames } from '@peculiar/asn1-x509';
import { CustosError } from '../errors/index.ts';
import { Custos } from '../custos.ts';
import { Secret } from '../secret.ts';
import { createRoot } from '../ca/root.ts';
import { importRequests } from '../ca/requests.ts';
import { issueCertificate } from '../ca/issue.ts';
import { revokeSerial } from '../ca/revoke.ts';
import { issueCrl } from '../ca/crl.ts';
import { exportCertificate, exportChain, exportCrl } from '../ca/export.ts';
import { requestForKey } from '../ca/key-request.ts';
import { backupKeyToFile, restoreKeyFromFile } from '../ca/key-backup-act.ts';
import { parseSubject } from '../ca/subject.ts';
import { signAlgorithmFor } from '../pki/x509/algorithms.ts';
import { OID } from '../pki/oids.ts';
import { REHEARSAL_PIN } from '../rehearsal/tokens.ts';
import type { ListedToken } from '../hsm/registry.ts';
import { checkpointIfHeld } from '../ca/journal-anchor.ts';
import { authenticateCustodian, quorumStatus } from '../quorum/quorum.ts';
import { formatHead } from '../journal/checkpoint.ts';
import type { Output } from './output.ts';
import type { CliValues } from './values.ts';

interface Check { readonly what: string; readonly ok: boolean; readonly detail: string }

function opensslVerify(args: string[]): { ok: boolean; text: string } | undefined {
  const r = spawnSync('openssl', ['verify', ...args], { encoding: 'utf8' });
  if (r.error) return undefined;
  return { ok: r.status === 0, text: `${r.stdout}${r.stderr}`.trim() };
}

const pin = (): Secret => Secret.fromString(REHEARSAL_PIN);

export async function rehearse(values: CliValues, out: Output): Promise<void> {
  const outDir = resolve(typeof values.out === 'string' ? values.out : `custos-rehearsal-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  if (existsSync(outDir) && readdirSync(outDir).length > 0) {
    throw new CustosError('FILE_EXISTS', `${outDir} is not empty: a rehearsal writes into a new folder.`, { path: outDir });
  }
  const artifacts = join(outDir, 'artifacts');
  mkdirSync(artifacts, { recursive: true });
  const core = await Custos.openRehearsal({ dataDir: join(outDir, 'data'), operator: typeof values.operator === 'string' ? values.operator : 'rehearsal' });
  const checks: Check[] = [];
  try {
    const ctx = core.ctx;
    const tokens = await core.tokens.list();
    const byLabel = (label: string): ListedToken => {
      const t = tokens.find((x) => x.info.label === label);
      if (!t) throw new CustosError('TOKEN_NOT_FOUND', `The rehearsal token "${label}" is missing.`, { label });
      return t;
    };
    const [caHsm, backupHsm, c1, , c3] = ['CA HSM', 'Backup HSM', 'Custodian 1', 'Custodian 2', 'Custodian 3'].map(byLabel) as [ListedToken, ListedToken, ListedToken, ListedToken, ListedToken];
    out.note(`Rehearsal tokens [VIRTUAL]: ${tokens.map((t) => `${t.info.label} (${t.info.serial})`).join(', ')}`);

    out.note('1/8 The CA HSM needs its PIN and 2 of 3 custodians: Custodian 1 and the PIN alone are refused, then Custodian 3 completes the quorum…');
    const mode = await quorumStatus(core, caHsm.id);
    checks.push({ what: 'the CA HSM is quorum-protected (PIN and custodians)', ok: mode.quorum?.mode === 'pin-and-quorum' && mode.quorum.protecting, detail: `mode ${mode.quorum?.mode ?? 'none'}; ${mode.summary}` });
    await authenticateCustodian(core, caHsm.id, c1.id, pin());
    await core.login(caHsm.id, pin());
    const refused = await core.generateKey(caHsm.id, { kind: 'ec', curve: 'P-384' }, 'refused-by-quorum').then(() => undefined, (e: unknown) => e);
    const refusedCode = refused instanceof CustosError ? refused.code : String(refused);
    checks.push({ what: 'one custodian with the CA HSM PIN is refused', ok: refusedCode === 'QUORUM_NOT_MET', detail: `${refusedCode}: ${refused instanceof Error ? refused.message : ''}` });
    const quorum = (await authenticateCustodian(core, caHsm.id, c3.id, pin())).quorum!;
    checks.push({ what: 'two of three custodians unlocked the CA HSM', ok: quorum.authenticated >= quorum.required, detail: `${quorum.authenticated} of ${quorum.required} authenticated (${quorum.registered} registered): ${quorum.custodians.map((c) => c.chr).join(', ')}` });

    out.note('2/8 Generating the root key (EC P-384) on the CA HSM and creating the root CA…');
    const rootKey = await core.generateKey(caHsm.id, { kind: 'ec', curve: 'P-384' }, 'rehearsal-root');
    const root = await createRoot(ctx, { tokenId: caHsm.id, keySpkiSha256: rootKey.spkiSha256, profileId: 'root-ca', subject: 'C=XX, O=Custos Rehearsal, CN=Custos Rehearsal Root CA', name: 'rehearsal-root', validityDays: 3650 });

    out.note('3/8 Backing the root key up into the backup HSM (same DKEK key domain)…');
    await core.login(backupHsm.id, pin());
    // The acts a ceremony uses (Key domain screen, custos key backup|restore): a .wky and its .custos.json, each step journaled
    // with the domain's KCV and the key's fingerprint, and the restore checked against that record.
    const backup = await backupKeyToFile(ctx, { tokenId: caHsm.id, label: rootKey.label, spkiSha256: rootKey.spkiSha256, directory: artifacts });
    const restored = await restoreKeyFromFile(ctx, { tokenId: backupHsm.id, wkyPath: backup.wkyPath });
    checks.push({
      what: 'root key restored into the backup HSM', ok: restored.key.spkiSha256 === rootKey.spkiSha256 && restored.journalKeyVouched,
      detail: `key domain KCV ${backup.metadata.domainKcv}, public key SHA-256 ${backup.metadata.spkiSha256}; ${backup.wkyPath}`,
    });

    out.note('4/8 Generating the issuing CA key on the CA HSM and signing its request…');
    const subKey = await core.generateKey(caHsm.id, { kind: 'ec', curve: 'P-384' }, 'rehearsal-issuing');
    const caToken = await core.tokens.open(caHsm.id);
    const subCsr = await requestForKey(caToken.signer(subKey), parseSubject('C=XX, O=Custos Rehearsal, CN=Custos Rehearsal Issuing CA'), signAlgorithmFor(subKey.spec));
    writeNewFileSync(join(artifacts, 'issuing-ca.csr.der'), subCsr);
    const [subReq] = importRequests(ctx, 'issuing-ca.csr.der', subCsr);
    const sub = await issueCertificate(ctx, { caId: root.id, requestId: subReq!.record.id, profileId: 'subordinate-ca', name: 'rehearsal-issuing', validityDays: 1825, pathLen: 0 });

    out.note('5/8 Signing a TLS server certificate for a simulated applicant…');
    const applicant = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const applicantSpki = new Uint8Array(applicant.publicKey.export({ type: 'spki', format: 'der' }));
    const leafCsr = await requestForKey({ spki: applicantSpki, sign: async (data) => new Uint8Array(nodeSign('sha256', data, { key: applicant.privateKey, dsaEncoding: 'der' })) },
      parseSubject('C=XX, O=Custos Rehearsal, CN=rehearsal.example'), { scheme: 'ecdsa', hash: 'SHA-256' },
      [new Extension({ extnID: OID.subjectAltName, critical: false, extnValue: new OctetString(AsnConvert.serialize(new GeneralNames([new GeneralName({ dNSName: 'rehearsal.example' })]))) })]);
    const [leafReq] = importRequests(ctx, 'applicant.csr.der', leafCsr);
    const leaf = await issueCertificate(ctx, { caId: sub.sha256, requestId: leafReq!.record.id, profileId: 'tls-server', validityDays: 90 });

    out.note('6/8 Revoking the leaf (keyCompromise); the issuing CA\'s CRL from the CA HSM…');
    revokeSerial(ctx, { caId: sub.sha256, serialHex: leaf.serialHex, reason: 'keyCompromise', invalidityDate: new Date(Date.now() - 3_600_000) });
    const subCrl = await issueCrl(ctx, { caId: sub.sha256 });

    out.note('7/8 The CA HSM is locked again; the root\'s CRL is signed by the backup HSM alone…');
    await core.logout(caHsm.id);
    const rootCrl = await issueCrl(ctx, { caId: root.id });
    const crlEntry = ctx.journal.read().filter((e) => e.kind === 'crl.issue.intent').at(-1);
    checks.push({ what: 'root CRL signed by the backup HSM', ok: crlEntry?.token?.label === 'Backup HSM', detail: `journal entry #${crlEntry?.seq} names ${crlEntry?.token?.label}` });

    out.note('8/8 Exporting and checking…');
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

    const rootX = new X509Certificate(Buffer.from(root.certDer));
    const subX = new X509Certificate(Buffer.from(sub.certDer));
    const leafX = new X509Certificate(Buffer.from(leaf.certDer));
    checks.push({ what: 'root is self-signed', ok: rootX.verify(rootX.publicKey), detail: rootX.subject.replace(/\n/g, ', ') });
    checks.push({ what: 'issuing CA signed by root', ok: subX.verify(rootX.publicKey) && subX.checkIssued(rootX), detail: subX.subject.replace(/\n/g, ', ') });
    checks.push({ what: 'leaf signed by issuing CA', ok: leafX.verify(subX.publicKey) && leafX.checkIssued(subX), detail: leafX.subject.replace(/\n/g, ', ') });
    const subOk = opensslVerify(['-crl_check', '-CAfile', files.root, '-CRLfile', files.rootCrl, files.sub]);
    if (subOk) checks.push({ what: 'openssl verify -crl_check: issuing CA is valid (root CRL from the backup HSM)', ok: subOk.ok, detail: subOk.text });
    const leafRevoked = opensslVerify(['-crl_check', '-CAfile', files.root, '-untrusted', files.sub, '-CRLfile', files.subCrl, files.leaf]);
    if (leafRevoked) checks.push({ what: 'openssl verify -crl_check: revoked leaf is refused', ok: !leafRevoked.ok && /revoked/i.test(leafRevoked.text), detail: leafRevoked.text.split('\n').find((l) => /revoked/i.test(l)) ?? leafRevoked.text.split('\n').pop() ?? '' });
    // The exports are anchored too: the backup HSM, still logged in, signs the last checkpoint.
    await checkpointIfHeld(ctx, await core.tokens.open(backupHsm.id));
    const journal = core.journal.verify();
    checks.push({ what: 'journal verifies', ok: journal.ok, detail: `${journal.entries} entries, every token act marked VIRTUAL${journal.reason ? `; ${journal.reason}` : ''}` });
    const anchors = journal.anchors;
    const journalKeys = new Set([...ctx.state.cas.values()].flatMap((c) => c.journalKeys.map((k) => k.spkiSha256)));
    checks.push({
      what: 'journal anchored by signed checkpoints', ok: (anchors?.checkpoints ?? 0) > 0 && anchors?.unanchored === 0 && journalKeys.size > 0,
      detail: `${anchors?.checkpoints ?? 0} checkpoints by ${anchors?.journalKeys ?? 0} journal keys (one per HSM that signed for a CA); ${anchors?.unanchored ?? '?'} entries not yet under a signed checkpoint; head ${journal.head ? formatHead(journal.head) : '?'}`,
    });

    const report = {
      outDir, tokens: tokens.map((t) => ({ label: t.info.label, serial: t.info.serial, virtual: t.info.virtual })),
      root: root.subject, issuing: sub.subject, journalHead: journal.head ? formatHead(journal.head) : undefined, checkpoints: anchors?.checkpoints ?? 0, unanchored: anchors?.unanchored, leaf: { subject: leaf.subject, serialHex: leaf.serialHex, revoked: true }, keyDomainKcv: backup.metadata.domainKcv,
      keyBackup: { wky: backup.wkyPath, record: backup.metadataPath }, files, checks,
    };
    writeNewFileSync(join(outDir, 'rehearsal-report.json'), `${JSON.stringify(report, null, 2)}\n`);
    const failed = checks.filter((c) => !c.ok);
    out.result(report, () => [
      `Rehearsal written to ${outDir} (VIRTUAL tokens: nothing here is for production).`,
      ...checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.what}${c.detail ? ` — ${c.detail}` : ''}`),
      failed.length ? `${failed.length} check(s) failed.` : 'All checks passed.',
    ].join('\n'));
    if (failed.length) throw new CustosError('INTERNAL', `Rehearsal checks failed: ${failed.map((c) => c.what).join('; ')}.`, {});
  } finally {
    await core.close();
  }
}
