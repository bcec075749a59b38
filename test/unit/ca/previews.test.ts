// ↔ main/ca/previews.ts: what a preview fixed is found again only under its own hash, for its own kind of act, for an hour; a junk or mislabelled file binds nothing.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCustosError } from '../../../main/errors/index.ts';
import type { CaContext } from '../../../main/ca/context.ts';
import { abandonBatch, dropPreview, keepPreview, keptPreview, MAX_BATCH_PREVIEWS, MAX_KEPT_PREVIEWS, PREVIEW_MAX_AGE_MS, requireSameTbs, sha256Hex } from '../../../main/ca/previews.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'custos-previews-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));
let clock = new Date('2026-12-07T10:00:00Z');
// previews.ts reads only these two of the CA context: where the data lives and what time it is.
const ctx = { dataDir, now: () => clock } as unknown as CaContext;
const code = (c: string) => (e: unknown) => isCustosError(e) && e.code === c;
const tbs = (n: number) => new Uint8Array([0x30, 0x03, 0x02, 0x01, n]);

describe('kept previews', () => {
  it('give back what the preview fixed, under its hash, for the same kind of act', () => {
    const hash = keepPreview(ctx, 'certificate', tbs(1), clock, '7f01');
    assert.equal(hash, sha256Hex(tbs(1)));
    const kept = keptPreview(ctx, 'certificate', hash.toUpperCase());
    assert.deepEqual([kept.number, kept.madeAt], ['7f01', clock.toISOString()]);
  });

  it('refuse a CRL preview offered for a root, and a hash that is not 64 hex digits', () => {
    const hash = keepPreview(ctx, 'crl', tbs(2), clock, '12');
    assert.throws(() => keptPreview(ctx, 'root', hash), code('PREVIEW_MISMATCH'));
    assert.throws(() => keptPreview(ctx, 'crl', `${hash.slice(0, 63)}g`), code('INPUT_INVALID'));
    assert.throws(() => keptPreview(ctx, 'crl', '../../etc/passwd'), code('INPUT_INVALID'));
  });

  it('refuse a preview never made here, one dropped after signing, and a file that is not a preview', () => {
    assert.throws(() => keptPreview(ctx, 'root', 'ab'.repeat(32)), code('PREVIEW_EXPIRED'));
    const hash = keepPreview(ctx, 'root', tbs(3), clock, '01');
    dropPreview(ctx, hash);
    assert.throws(() => keptPreview(ctx, 'root', hash), code('PREVIEW_EXPIRED'));
    const junk = sha256Hex(tbs(4));
    writeFileSync(join(dataDir, 'previews', `${junk}.json`), '{"kind":"root","tbsSha256":"' + junk + '","madeAt":"2026-12-07T10:00:00.000Z","number":"01","extra":1}');
    assert.throws(() => keptPreview(ctx, 'root', junk), code('PREVIEW_EXPIRED'), 'an unknown field makes it no preview');
    writeFileSync(join(dataDir, 'previews', `${junk}.json`), '\u0000not json');
    assert.throws(() => keptPreview(ctx, 'root', junk), code('PREVIEW_EXPIRED'));
  });

  it('refuse a preview older than an hour', () => {
    const hash = keepPreview(ctx, 'certificate', tbs(5), clock, '7f05');
    clock = new Date(clock.getTime() + PREVIEW_MAX_AGE_MS + 1000);
    try {
      assert.throws(() => keptPreview(ctx, 'certificate', hash), code('PREVIEW_EXPIRED'));
    } finally {
      clock = new Date('2026-12-07T10:00:00Z');
    }
  });

  it('refuse bytes that differ from the previewed ones by one byte', () => {
    const hash = sha256Hex(tbs(6));
    assert.doesNotThrow(() => requireSameTbs('crl', hash, tbs(6), 'x'));
    assert.throws(() => requireSameTbs('crl', hash, tbs(7), 'x'), code('PREVIEW_MISMATCH'));
  });

  it('keep at most MAX_KEPT_PREVIEWS, dropping the oldest, so a flood of previews cannot fill the disk', () => {
    const dir = join(dataDir, 'previews');
    const first = keepPreview(ctx, 'certificate', tbs(100), clock, '01');
    // Older than the rest, yet within the hour: it goes for the count, not for its age.
    utimesSync(join(dir, `${first}.json`), new Date(clock.getTime() - 60_000), new Date(clock.getTime() - 60_000));
    for (let i = 0; i < MAX_KEPT_PREVIEWS + 5; i++) keepPreview(ctx, 'certificate', new Uint8Array([1, 2, i & 0xff, i >> 8]), clock, '02');
    assert.ok(readdirSync(dir).filter((n) => n.endsWith('.json')).length <= MAX_KEPT_PREVIEWS);
    assert.throws(() => keptPreview(ctx, 'certificate', first), code('PREVIEW_EXPIRED'), 'the oldest went first');
  });
});

describe('the previews of a batch', () => {
  const batchTbs = (batch: number, i: number) => new Uint8Array([9, batch, i & 0xff, i >> 8]);

  it('are all held while free previews come and go, however many more than MAX_KEPT_PREVIEWS the batch has', () => {
    const hashes = Array.from({ length: MAX_KEPT_PREVIEWS + 36 }, (_, i) => keepPreview(ctx, 'certificate', batchTbs(1, i), clock, '7f', 'batch-one'));
    for (let i = 0; i < MAX_KEPT_PREVIEWS + 5; i++) keepPreview(ctx, 'certificate', new Uint8Array([3, 3, i & 0xff, i >> 8]), clock, '03');
    for (const h of hashes) assert.equal(keptPreview(ctx, 'certificate', h).batch, 'batch-one', 'the first previews of the batch are still held');
    // Signed ones go one by one; the rest go when the batch ends.
    dropPreview(ctx, hashes[0]!);
    assert.throws(() => keptPreview(ctx, 'certificate', hashes[0]!), code('PREVIEW_EXPIRED'));
    assert.equal(abandonBatch(ctx, 'batch-one'), hashes.length - 1);
    assert.throws(() => keptPreview(ctx, 'certificate', hashes[1]!), code('PREVIEW_EXPIRED'));
  });

  it('refuse the preview past MAX_BATCH_PREVIEWS (BATCH_TOO_LARGE), keeping every one made before it', () => {
    const hashes = Array.from({ length: MAX_BATCH_PREVIEWS }, (_, i) => keepPreview(ctx, 'certificate', batchTbs(2, i), clock, '7f', 'batch-full'));
    assert.throws(() => keepPreview(ctx, 'certificate', batchTbs(2, MAX_BATCH_PREVIEWS), clock, '7f', 'batch-full'),
      (e: unknown) => isCustosError(e) && e.code === 'BATCH_TOO_LARGE' && e.message.includes(String(MAX_BATCH_PREVIEWS)));
    assert.equal(keptPreview(ctx, 'certificate', hashes[0]!).batch, 'batch-full');
    assert.equal(keptPreview(ctx, 'certificate', hashes[MAX_BATCH_PREVIEWS - 1]!).batch, 'batch-full');
  });

  it('of an older batch are set aside, whole, when a newer batch needs the room', () => {
    const dir = join(dataDir, 'previews');
    // batch-full (the test before) holds MAX_BATCH_PREVIEWS, made a minute ago.
    for (const n of readdirSync(dir)) if (n.includes('.b-batch-full')) utimesSync(join(dir, n), new Date(clock.getTime() - 60_000), new Date(clock.getTime() - 60_000));
    const fresh = keepPreview(ctx, 'certificate', batchTbs(3, 0), clock, '7f', 'batch-new');
    assert.equal(keptPreview(ctx, 'certificate', fresh).batch, 'batch-new');
    assert.equal(readdirSync(dir).filter((n) => n.includes('.b-batch-full')).length, 0, 'the abandoned batch went as a whole');
  });

  it('refuse a batch name that could leave the previews folder', () => {
    assert.throws(() => keepPreview(ctx, 'certificate', batchTbs(4, 0), clock, '7f', '../x'), code('INPUT_INVALID'));
  });
});
