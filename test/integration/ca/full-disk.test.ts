/**
 * A batch that runs out of disk, on a real 2 MiB tmpfs (a private mount
 * namespace) and a real SoftHSM2 token: the batch stops with MEDIA_FULL, the
 * journal opens afterwards, every certificate the token signed is in it
 * (recorded as done, or recovered from the room set aside before signing),
 * and the CLI's message counts what that run signed.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { createSoftHsm, type SoftHsm } from '../../support/softhsm.ts';
import { canMountTmpfs, runOnTmpfs } from '../../support/small-tmpfs.ts';
import { Journal, type JournalEntry } from '../../../main/journal/index.ts';
import { requestForKey } from '../../../main/ca/key-request.ts';
import { parseSubject } from '../../../main/ca/subject.ts';

const PIN = '246813';
const REQUESTS = 200;

async function requestPem(cn: string): Promise<string> {
  const k = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const der = await requestForKey({ spki: new Uint8Array(k.publicKey.export({ type: 'spki', format: 'der' })), sign: async (d) => new Uint8Array(nodeSign('sha256', d, { key: k.privateKey, dsaEncoding: 'der' })) },
    parseSubject(`CN=${cn}`), { scheme: 'ecdsa', hash: 'SHA-256' });
  return `-----BEGIN CERTIFICATE REQUEST-----\n${Buffer.from(der).toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
}

const certificateOf = (e: JournalEntry): Uint8Array => Buffer.from(String(e.kind.endsWith('.recovered') ? e.data.result : e.data.certificate), 'base64');

describe('a batch on a disk that fills', { skip: !canMountTmpfs() && 'needs mount namespaces (root)' }, () => {
  let hsm: SoftHsm;
  let work: string;

  before(async () => {
    hsm = await createSoftHsm();
    await hsm.initToken('Full Disk HSM', '13572468', PIN);
    work = mkdtempSync(join(tmpdir(), 'custos-full-disk-'));
  });

  after(async () => {
    rmSync(work, { recursive: true, force: true });
    await hsm.cleanup();
  });

  it('stops with MEDIA_FULL, leaves a journal that opens with every certificate the token signed, and counts only this run\'s certificates', { timeout: 170_000 }, async () => {
    const csrFile = join(work, 'batch.pem');
    writeFileSync(csrFile, (await Promise.all(Array.from({ length: REQUESTS }, (_, i) => requestPem(`host-${i}.full-disk.test`)))).join(''));
    const disk = join(work, 'disk');
    const out = join(work, 'out');
    mkdirSync(disk);
    const run = await runOnTmpfs(disk, 2 << 20, join(process.cwd(), 'test/support/batch-on-full-disk.ts'), [disk, out, hsm.modulePath, csrFile],
      { ...process.env, SOFTHSM2_CONF: hsm.conf, CUSTOS_PIN: PIN }, 160_000);
    assert.equal(run.status, 0, run.stderr);
    const seen = JSON.parse(run.stdout) as { batch: string; batchMessage: string; signatures: string[]; review: { status: number; stderr: string }; cli: { status: number; stderr: string[] }; linesBeforeCli: number };
    assert.equal(seen.batch, 'MEDIA_FULL', seen.batchMessage);
    assert.ok(seen.signatures.length > 0 && seen.signatures.length < REQUESTS, `the token signed ${seen.signatures.length} before the disk was full`);

    const j = Journal.open({ dir: out, operator: 'tester' });
    try {
      // The chain holds; the batch's checkpoint may not have fitted on the full disk, and then the
      // certificates after the last one lie under none, which a person checks and signs for.
      const verified = j.verify();
      assert.ok(verified.ok || verified.code === 'JOURNAL_UNANCHORED', `${verified.code}: ${verified.reason}`);
      const entries = j.read();
      const recorded = entries.filter((e) => e.kind === 'certificate.issue.done' || e.kind === 'certificate.issue.recovered');
      const recordedSignatures = new Set(recorded.map((e) => Buffer.from(AsnConvert.parse(certificateOf(e), Certificate).signatureValue).toString('hex')));
      const lost = seen.signatures.filter((s) => !recordedSignatures.has(s));
      assert.deepEqual(lost, [], `${lost.length} of the ${seen.signatures.length} signatures the token made in the first batch are not in the journal`);

      // The CLI's run: stopped by the disk too, and its message counts the certificates it recorded, not the requests signed before it.
      assert.equal(seen.review.status, 0, `custos journal checkpoint after the full disk: ${seen.review.stderr}`);
      assert.notEqual(seen.cli.status, 0);
      const error = seen.cli.stderr.find((l) => l.startsWith('error '));
      assert.match(error ?? '', /^error MEDIA_FULL: /, seen.cli.stderr.join('\n'));
      const signedByCli = entries.filter((e) => e.kind === 'certificate.issue.done' && e.seq > seen.linesBeforeCli).length;
      const count = seen.cli.stderr.map((l) => /^(\d+) of (\d+) were signed and recorded before the failure/.exec(l)).find((m) => m);
      assert.ok(count, seen.cli.stderr.join('\n'));
      assert.deepEqual([Number(count[1]), Number(count[2])], [signedByCli, REQUESTS]);
    } finally {
      j.close();
    }
  });
});
