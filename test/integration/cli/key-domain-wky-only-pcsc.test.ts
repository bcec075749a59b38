/**
 * custos key restore of a .wky that has no .custos.json beside it, as
 * sc-hsm-tool --wrap-key writes it: two virtual SmartCard-HSMs of one key
 * domain in two readers of a private pcscd (vpcd), OpenSC's sc-hsm-tool wraps
 * keys of the first, and the CLI restores them into the second. The file
 * names its key only by what it holds, so the CLI shows the key's label, the
 * SHA-256 of its public key and the domain's KCV, and restores only the key
 * the operator expects (--expect-key) or the key a CA of the journal was made
 * with; another key is KEY_FINGERPRINT_MISMATCH and nothing reaches the card.
 * Needs root for pcscd's private namespaces.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualCard } from '../../../main/hsm/virtual/card.ts';
import { InProcessTransport } from '../../../main/hsm/sc-hsm/inprocess-transport.ts';
import { ScHsmToken } from '../../../main/hsm/sc-hsm/token.ts';
import { kcv } from '../../../main/keydomain/dkek.ts';
import { Secret } from '../../../main/secret.ts';
import { createInitializedCard, startCardProcess, type CardProcess } from '../../support/card-process.ts';
import { toolOk } from '../hsm/sc-hsm/opensc-side.ts';

const ROOT = join(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'bin/custos.mjs');
const PIN = '648219';
const isRoot = process.getuid?.() === 0;

interface MadeKey { readonly label: string; readonly keyId: number; readonly spkiSha256: string }

describe('custos key restore of a .wky from sc-hsm-tool --wrap-key, with no .custos.json', { skip: isRoot ? false : 'a private pcscd needs root' }, () => {
  let work: string;
  let card: CardProcess;
  let env: NodeJS.ProcessEnv;
  let domainKcv = '';
  const ids = { primary: '', secondary: '' };
  const keys: Record<'root' | 'ca', MadeKey> = { root: { label: '', keyId: 0, spkiSha256: '' }, ca: { label: '', keyId: 0, spkiSha256: '' } };
  const wky = { root: '', ca: '' };

  function custos(args: string[], expectStatus = 0): { stdout: string; stderr: string; json: any } {
    const r = spawnSync(process.execPath, [CLI, ...args, '--json'], { encoding: 'utf8', env, cwd: work, timeout: 120_000 });
    if (expectStatus >= 0) assert.equal(r.status, expectStatus, `custos ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
    let json: unknown;
    try { json = JSON.parse(r.stdout); } catch { json = undefined; }
    return { stdout: r.stdout, stderr: r.stderr, json };
  }
  const restore = (file: string, more: string[] = []) => custos(['key', 'restore', '--token-id', ids.secondary, '--file', file, '--pin-env', 'CUSTOS_PIN', ...more], -1).json;
  const keysOn = (id: string): { label: string; spkiSha256: string }[] => custos(['key', 'list', '--token-id', id, '--pin-env', 'CUSTOS_PIN']).json;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-wky-only-'));
    const states = { primary: join(work, 'primary.vsc'), secondary: join(work, 'secondary.vsc') };
    // One key domain on both cards (one share, in both), and two keys on the first, made before any process shares the cards.
    const share = new Uint8Array(randomBytes(32));
    domainKcv = Buffer.from(kcv(share)).toString('hex');
    for (const [name, state] of Object.entries(states)) {
      await createInitializedCard(state, PIN, name === 'primary' ? 'Primary' : 'Secondary', { dkekShares: 1 });
      const vc = await VirtualCard.open(state);
      const token = await ScHsmToken.open(new InProcessTransport(vc));
      await token.login(Secret.fromString(PIN));
      await token.importDkekShare(share);
      if (name === 'primary') {
        for (const [which, label, spec] of [['root', 'OpenSC root key', { kind: 'ec', curve: 'P-256' }], ['ca', 'OpenSC CA key', { kind: 'ec', curve: 'P-384' }]] as const) {
          const key = await token.generateKeyPair(spec, label);
          keys[which] = { label, keyId: Number.parseInt(key.id, 16), spkiSha256: key.spkiSha256 };
        }
      }
      await token.close();
    }
    share.fill(0);
    card = await startCardProcess(states.primary, states.secondary);
    env = { ...process.env, PCSCLITE_CSOCK_NAME: card.ready.socketPath, CUSTOS_HOME: join(work, 'home'), CUSTOS_OPERATOR: 'ceremony', CUSTOS_PIN: PIN };
    // OpenSC's own tool wraps each key off the first card: blob, PrKD and certificate, and no Custos record.
    for (const which of ['root', 'ca'] as const) {
      wky[which] = join(work, `${which}.wky`);
      await toolOk(card, 'sc-hsm-tool', ['--reader', card.ready.readerName, '--wrap-key', wky[which], '--key-reference', String(keys[which].keyId), '--pin', PIN]);
      assert.ok(!existsSync(wky[which].replace(/\.wky$/, '.custos.json')));
    }
    const tokens = custos(['tokens']).json as { id: string; reader: string }[];
    ids.primary = tokens.find((t) => t.reader === card.ready.readerName)!.id;
    ids.secondary = tokens.find((t) => t.reader === card.ready.second!.readerName)!.id;
    assert.ok(ids.primary && ids.secondary && ids.primary !== ids.secondary, JSON.stringify(tokens));
  });

  after(async () => {
    await card?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('shows the key\'s label, public key SHA-256 and domain KCV, and restores nothing until the operator names the key', () => {
    const required = restore(wky.root);
    assert.equal(required.error?.code, 'KEY_FINGERPRINT_REQUIRED', JSON.stringify(required));
    assert.match(required.error.message, /"OpenSC root key"/);
    assert.ok(required.error.message.includes(keys.root.spkiSha256), required.error.message);
    assert.ok(required.error.message.includes(domainKcv), required.error.message);
    assert.deepEqual([required.error.details.label, required.error.details.spkiSha256, required.error.details.domainKcv], ['OpenSC root key', keys.root.spkiSha256, domainKcv]);
    assert.equal(restore(wky.root, ['--expect-key', keys.root.spkiSha256.slice(0, 16)]).error?.code, 'INPUT_INVALID', 'a part of the fingerprint is not enough');
    assert.ok(!keysOn(ids.secondary).some((k) => k.spkiSha256 === keys.root.spkiSha256));
  });

  it('refuses the .wky when it holds another key than the one expected (KEY_FINGERPRINT_MISMATCH), and nothing reaches the card', () => {
    const before = keysOn(ids.secondary);
    const mismatch = restore(wky.root, ['--expect-key', keys.ca.spkiSha256]);
    assert.equal(mismatch.error?.code, 'KEY_FINGERPRINT_MISMATCH', JSON.stringify(mismatch));
    assert.ok(mismatch.error.message.includes(keys.root.spkiSha256) && mismatch.error.message.includes(keys.ca.spkiSha256));
    assert.deepEqual(keysOn(ids.secondary), before);
    assert.ok(!readFileSync(join(work, 'home', 'journal.jsonl'), 'utf8').includes('"key.restore.intent"'), 'no restore was begun');
  });

  it('restores the key the operator expects, with its label, and journals what vouched for it', () => {
    const colonSeparated = keys.root.spkiSha256.toUpperCase().match(/../g)!.join(':');
    const restored = restore(wky.root, ['--expect-key', colonSeparated]);
    assert.equal(restored.error, undefined, JSON.stringify(restored));
    assert.deepEqual([restored.label, restored.spkiSha256, restored.domainKcv, restored.record, restored.expectedBy], ['OpenSC root key', keys.root.spkiSha256, domainKcv, false, 'operator']);
    const onCard = keysOn(ids.secondary).find((k) => k.spkiSha256 === keys.root.spkiSha256);
    assert.equal(onCard?.label, 'OpenSC root key');
    const intent = readFileSync(join(work, 'home', 'journal.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((e) => e.kind === 'key.restore.intent');
    assert.deepEqual([intent?.data.record, intent?.data.expectedBy, intent?.data.spkiSha256], [false, 'operator', keys.root.spkiSha256]);
  });

  it('restores without --expect-key a .wky holding the key a CA of the journal was made with', () => {
    custos(['ca', 'init', '--token-id', ids.primary, '--key', keys.ca.label, '--subject', 'C=XX, O=Custos, CN=Wrapped by OpenSC Root', '--name', 'wky-root', '--pin-env', 'CUSTOS_PIN', '--yes']);
    const restored = restore(wky.ca);
    assert.equal(restored.error, undefined, JSON.stringify(restored));
    assert.deepEqual([restored.label, restored.spkiSha256, restored.expectedBy], ['OpenSC CA key', keys.ca.spkiSha256, 'ca']);
    assert.deepEqual(restored.cas.map((c: { name: string }) => c.name), ['wky-root']);
    assert.ok(keysOn(ids.secondary).some((k) => k.spkiSha256 === keys.ca.spkiSha256 && k.label === 'OpenSC CA key'));
  });
});
