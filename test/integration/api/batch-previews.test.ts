/**
 * A batch of 100 requests on the real core (SoftHSM2): more than the 64 free
 * previews the data directory keeps. Previewed as one batch, every preview is
 * held until the batch is signed, so all 100 are signed as reviewed (before,
 * the first 36 came back PREVIEW_EXPIRED); once the batch ends, nothing of it
 * is held any longer.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAppCore, type AppCore } from '../../../electron/core.ts';
import { createSoftHsm, type SoftHsm } from '../../support/softhsm.ts';
import { runTool } from '../../support/openssl.ts';

const BATCH = 100;

/** 100 requests from one key, each its own name: one openssl run makes them all. */
async function csrs(n: number): Promise<string[]> {
  const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const script = Array.from({ length: n }, (_, i) => `openssl req -new -key k.pem -out r${i}.csr -subj /CN=batch-${i}.example -addext subjectAltName=DNS:batch-${i}.example`).join(' && ');
  const r = await runTool('sh', ['-c', `cat > k.pem && ${script}`], { input: key, outputs: Array.from({ length: n }, (_, i) => `r${i}.csr`) });
  assert.equal(r.code, 0, r.stderr);
  return Array.from({ length: n }, (_, i) => Buffer.from(r.outputs[`r${i}.csr`]!).toString('base64'));
}

describe(`a batch of ${BATCH} previews`, () => {
  let work: string;
  let hsm: SoftHsm;
  let core: AppCore;
  let caId: string;
  let home: string;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-batch-previews-'));
    home = join(work, 'home');
    hsm = await createSoftHsm();
    await hsm.initToken('Batch CA', '12345678', '123456');
    core = await openAppCore({ dataDir: home, rehearsalModules: [hsm.modulePath], operator: 'batch' });
    const h = core.handlers;
    const [token] = await h['token.list']();
    await h['token.login']({ tokenId: token!.id, pin: '123456' });
    const key = await h['token.generateKey']({ tokenId: token!.id, spec: { kind: 'ec', curve: 'P-384' }, label: 'batch-root' });
    const rootTerms = { tokenId: token!.id, keySpkiSha256: key.spkiSha256, profileId: 'root-ca', subject: 'CN=Batch Root' };
    caId = (await h['ca.createRoot']({ ...rootTerms, name: 'Batch Root', tbsSha256: (await h['ca.previewRoot'](rootTerms)).tbsSha256 })).id;
  });
  after(async () => {
    await core?.close();
    await hsm?.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it(`signs all ${BATCH} as reviewed, the earliest previews included, and holds none of them after`, { timeout: 280_000 }, async () => {
    const h = core.handlers;
    const batch = 'b6f0c1de-0000-4000-8000-000000000100';
    const items: { requestId: string; tbsSha256: string }[] = [];
    for (const [i, contentBase64] of (await csrs(BATCH)).entries()) {
      const [r] = await h['request.import']({ fileName: `batch-${i}.csr`, contentBase64 });
      items.push({ requestId: r!.id, tbsSha256: (await h['request.preview']({ requestId: r!.id, caId, profileId: 'tls-server', batch })).tbsSha256 });
    }
    // A custodian's single previews meanwhile (free previews) do not push the batch's out.
    for (let i = 0; i < 70; i++) await h['request.preview']({ requestId: items[i]!.requestId, caId, profileId: 'tls-server' });
    const out = await h['request.signBatch']({ caId, profileId: 'tls-server', items, batch });
    assert.equal(out.cancelled, false);
    assert.equal(out.issued.length, BATCH, 'every request of the batch was signed');
    assert.deepEqual(out.issued.slice(0, 2).map((c) => c.subject), ['CN=batch-0.example', 'CN=batch-1.example'], 'the earliest previews were still held');
    assert.deepEqual(readdirSync(join(home, 'previews')).filter((n) => n.includes(batch)), [], 'the batch holds nothing once it ended');
  });
});
