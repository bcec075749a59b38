/**
 * Run by test/integration/ca/kill-outputs.test.ts, which kills it (SIGKILL)
 * at a moment of its choosing: signs and writes outputs in a loop until then.
 * MODE batch: a batch of fresh requests, each certificate exported as PEM and
 * DER with its metadata. MODE crl: a CRL (kept in the data folder) exported
 * as DER and PEM with its metadata. Prints "go" once the token is logged in.
 * Usage: outputs-until-killed.ts MODE HOME OUT MODULE (PIN in $CUSTOS_PIN)
 */
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { Custos } from '../../main/custos.ts';
import { Secret } from '../../main/secret.ts';
import { importRequests } from '../../main/ca/requests.ts';
import { issueCertificates } from '../../main/ca/issue.ts';
import { issueCrl } from '../../main/ca/crl.ts';
import { exportCertificate, exportCrl } from '../../main/ca/export.ts';
import { requestForKey } from '../../main/ca/key-request.ts';
import { checkpointAfterReview } from '../../main/ca/journal-anchor.ts';
import { parseSubject } from '../../main/ca/subject.ts';

const [mode, home, out, modulePath] = process.argv.slice(2) as ['batch' | 'crl', string, string, string];

async function requestPem(cn: string): Promise<string> {
  const k = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const der = await requestForKey({ spki: new Uint8Array(k.publicKey.export({ type: 'spki', format: 'der' })), sign: async (d) => new Uint8Array(nodeSign('sha256', d, { key: k.privateKey, dsaEncoding: 'der' })) },
    parseSubject(`CN=${cn}`), { scheme: 'ecdsa', hash: 'SHA-256' });
  return `-----BEGIN CERTIFICATE REQUEST-----\n${Buffer.from(der).toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
}

const custos = Custos.open({ dataDir: home, rehearsalModules: [modulePath], operator: 'tester', pcsc: false });
const [listed] = await custos.tokens.list();
const token = await custos.login(listed!.id, Secret.fromString(process.env.CUSTOS_PIN!));
// A kill between an act and its checkpoint leaves a CA signature under no
// checkpoint, and nothing is signed until a person has read the entries and
// signed one (custos journal checkpoint): this process stands in for them.
if (custos.ctx.anchors?.problemAtOpen()?.code === 'JOURNAL_UNANCHORED') await checkpointAfterReview(custos.ctx, token);
const ca = [...custos.ctx.state.cas.values()][0]!;
console.log('go');
for (let round = 0; ; round++) {
  if (mode === 'batch') {
    const pems = await Promise.all(Array.from({ length: 4 }, (_, i) => requestPem(`p${process.pid}-r${round}-${i}.kill.test`)));
    const requests = importRequests(custos.ctx, 'batch.pem', Buffer.from(pems.join('')));
    const issued = await issueCertificates(custos.ctx, requests.map(({ record, csr }) => ({ caId: ca.id, requestId: record.id, csr, profileId: 'tls-server', validityDays: 30 })));
    for (const record of issued) {
      await exportCertificate(custos.ctx, { caId: ca.id, serialHex: record.serialHex, format: 'pem', directory: out });
      await exportCertificate(custos.ctx, { caId: ca.id, serialHex: record.serialHex, format: 'der', directory: out });
    }
  } else {
    const { record } = await issueCrl(custos.ctx, { caId: ca.id });
    await exportCrl(custos.ctx, { caId: ca.id, crlNumber: record.crlNumber, format: 'der', directory: out });
    await exportCrl(custos.ctx, { caId: ca.id, crlNumber: record.crlNumber, format: 'pem', directory: out });
  }
}
