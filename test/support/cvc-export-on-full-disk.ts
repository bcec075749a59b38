/**
 * Run by test/integration/cvc/full-disk.test.ts inside a mount namespace whose
 * tmpfs OUT is nearly full (one page left): exports a CVCA → DV chain there
 * as a folder, then frees the disk and exports it again. Prints what it saw
 * as JSON: the first export's error code, every file left on the disk after
 * it (name and size), the journal's cvc.export entries, and the second
 * export's files.
 * Usage: cvc-export-on-full-disk.ts OUT HOME
 */
import { generateKeyPairSync } from 'node:crypto';
import { readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Custos } from '../../main/custos.ts';
import { isCustosError } from '../../main/errors/index.ts';
import { CVC_OID, cvcPublicKeyFromKeyObject, decodeCvCertificate, encodeCvCertificate, signCvc, type CvcBody } from '../../main/pki/cvc/cvc.ts';
import { planCvcCertificate } from '../../main/cvc/plan.ts';
import { loadCvcProfile } from '../../main/cvc/profiles.ts';
import { importCvcCertificates } from '../../main/cvc/import.ts';
import { exportCvcChain } from '../../main/cvc/export.ts';

const [out, home] = process.argv.slice(2) as [string, string];
const ECDSA = CVC_OID['id-TA-ECDSA-SHA-256'];
const day = new Date(Date.UTC(2026, 0, 1));

const root = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const rootKey = cvcPublicKeyFromKeyObject(root.publicKey, ECDSA, true);
const cvcaPlan = planCvcCertificate({ profile: loadCvcProfile('cvca'), chr: 'UTCVCA00001', holderKey: rootKey, signingKey: rootKey, effectiveDate: day, validityDays: 1000 });
const cvca = decodeCvCertificate(encodeCvCertificate(cvcaPlan.bodyRaw, signCvc(cvcaPlan.bodyRaw, root.privateKey, ECDSA)));
const dvKey = cvcPublicKeyFromKeyObject(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey, ECDSA, true);
const dvPlan = planCvcCertificate({
  profile: loadCvcProfile('dv-domestic'), chr: 'UTDVFULL00001', holderKey: dvKey, issuer: { body: cvca.body as CvcBody, key: rootKey }, signingKey: rootKey, effectiveDate: day, validityDays: 90,
});
const dv = encodeCvCertificate(dvPlan.bodyRaw, signCvc(dvPlan.bodyRaw, root.privateKey, ECDSA));

function filesUnder(dir: string): { name: string; bytes: number }[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()
    .filter((n) => statSync(join(dir, n)).isFile())
    .map((n) => ({ name: relative(dir, join(dir, n)), bytes: statSync(join(dir, n)).size }));
}

const custos = Custos.open({ dataDir: home, pcsc: false, operator: 'tester', rehearsalModules: [] });
try {
  const [, dvRecord] = importCvcCertificates(custos.journal, 'chain.cvcert', Uint8Array.from([...cvca.raw, ...dv]));
  // Fill the disk but for one page: the first small file fits, the next does not.
  let pages = 0;
  for (;; pages++) {
    try {
      writeFileSync(join(out, `filler-${pages}`), Buffer.alloc(4096));
    } catch {
      unlinkSync(join(out, `filler-${pages}`));
      break;
    }
  }
  unlinkSync(join(out, `filler-${pages - 1}`));
  let code = 'none';
  try {
    await exportCvcChain(custos.ctx, { certificate: dvRecord!.id, form: 'folder', directory: join(out, 'usb') });
  } catch (e) {
    code = isCustosError(e) ? e.code : `untyped: ${String(e)}`;
  }
  const left = filesUnder(join(out, 'usb'));
  for (const f of readdirSync(out)) if (f.startsWith('filler')) unlinkSync(join(out, f));
  const again = await exportCvcChain(custos.ctx, { certificate: dvRecord!.id, form: 'folder', directory: join(out, 'usb-2') });
  const exports = custos.journal.read().filter((e) => e.kind.startsWith('cvc.export')).map((e) => e.kind);
  console.log(JSON.stringify({ code, left, exports, again: filesUnder(again.path) }));
} finally {
  await custos.close();
}
