/**
 * The case of issue #14 as an operator met it: a SmartCard-HSM-compatible
 * card that no known root attests (a virtual card provisioned as pico-hsm
 * provisions itself: a 67 request and a self-issued 7F21 in EF 2F02) in a
 * reader behind a private pcscd, and a SoftHSM2 token, through the CLI. Both
 * are listed, the SoftHSM2 one signs, and the foreign card works once the
 * operator has accepted it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InProcessTransport } from '../../../../main/hsm/sc-hsm/inprocess-transport.ts';
import { ScHsmCard } from '../../../../main/hsm/sc-hsm/card.ts';
import { VirtualCard } from '../../../../main/hsm/virtual/card.ts';
import { Secret } from '../../../../main/secret.ts';
import { createSoftHsm, type SoftHsm } from '../../../support/softhsm.ts';
import { startCardProcess, TEST_SO_PIN, type CardProcess } from '../../../support/card-process.ts';

const ROOT = join(import.meta.dirname, '../../../..');
const CLI = join(ROOT, 'bin/custos.mjs');
const PIN = '648219';
const isRoot = process.getuid?.() === 0;

interface Listed { id: string; backend: string; serial: string; label: string; attestation?: string; accepted?: boolean; virtual: boolean; error?: { code: string } }

describe('a foreign card through pcscd beside a SoftHSM2 token, through the CLI', { skip: isRoot ? false : 'a private pcscd needs root' }, () => {
  let work: string;
  let hsm: SoftHsm;
  let card: CardProcess;
  let env: NodeJS.ProcessEnv;

  function custos(args: string[], expectStatus = 0): { stdout: string; stderr: string; json: any } {
    const r = spawnSync(process.execPath, [CLI, ...args, '--module', hsm.modulePath, '--pin-env', 'CUSTOS_PIN'], { encoding: 'utf8', env, cwd: work, timeout: 120_000 });
    assert.equal(r.status, expectStatus, `custos ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
    let json: unknown;
    try { json = JSON.parse(r.stdout); } catch { json = undefined; }
    return { stdout: r.stdout, stderr: r.stderr, json };
  }

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-foreign-pcscd-'));
    hsm = await createSoftHsm();
    await hsm.initToken('SoftHSM CA', '87654321', PIN);
    const stateFile = join(work, 'pico.vsc');
    const vc = await VirtualCard.create(stateFile, { foreign: {} });
    const sc = await ScHsmCard.open(new InProcessTransport(vc, { ownsCard: false }));
    await sc.initialize({ soPin: Secret.fromString(TEST_SO_PIN), pin: Secret.fromString(PIN) });
    await sc.close();
    await vc.close();
    card = await startCardProcess(stateFile);
    env = { ...process.env, ...card.ready.env, SOFTHSM2_CONF: hsm.conf, CUSTOS_HOME: join(work, 'home'), CUSTOS_PIN: PIN, CUSTOS_OPERATOR: 'tester' };
  });

  after(async () => {
    await card?.stop();
    await hsm?.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('lists both, the card as not attested by a known root, and the SoftHSM2 token signs a root', () => {
    const tokens = custos(['tokens', '--json']).json as Listed[];
    assert.equal(tokens.length, 2, JSON.stringify(tokens));
    const foreign = tokens.find((t) => t.backend === 'sc-hsm')!;
    assert.deepEqual([foreign.serial, foreign.attestation, foreign.accepted, foreign.virtual, foreign.error], ['ESPICOHSMTR', 'none', false, false, undefined]);
    assert.match(custos(['tokens']).stdout, /device not attested by a known root: accept it/);

    custos(['key', 'generate', '--token', 'SoftHSM CA', '--type', 'ec:P-384', '--label', 'soft-root']);
    const root = custos(['ca', 'init', '--token', 'SoftHSM CA', '--key', 'soft-root', '--subject', 'C=XX, O=Custos, CN=SoftHSM Root', '--name', 'soft-root', '--yes', '--json']).json;
    assert.ok(root.id, 'the SoftHSM2 key signed the root certificate');
  });

  it('refuses the card until the operator accepts it, journals the accept, and then signs a root with a key on it', () => {
    const refused = custos(['key', 'generate', '--token-serial', 'ESPICOHSMTR', '--type', 'ec:P-256', '--label', 'pico-root', '--json'], 3).json;
    assert.equal(refused.error.code, 'DEVICE_NOT_ATTESTED');

    const accepted = custos(['tokens', 'accept', '--token-serial', 'ESPICOHSMTR', '--json']).json;
    assert.equal(accepted.accepted, true);
    const journal = custos(['journal', 'show', '--last', '50', '--json']).json as { kind: string }[];
    assert.ok(journal.some((e) => e.kind === 'token.unattested-accepted'), 'the accept is in the journal');

    custos(['key', 'generate', '--token-serial', 'ESPICOHSMTR', '--type', 'ec:P-384', '--label', 'pico-root']);
    // A new journal key joins a journal only when one it already trusts vouches for it; with the
    // SoftHSM2 token logged out, a root with no tie to the first is refused here ...
    const unvouched = custos(['ca', 'init', '--token-serial', 'ESPICOHSMTR', '--key', 'pico-root', '--subject', 'C=XX, O=Custos, CN=Pico Root', '--name', 'pico-root', '--yes', '--json'], 5).json;
    assert.equal(unvouched.error.code, 'JOURNAL_KEY_UNVOUCHED');
    assert.match(unvouched.error.message, /data directory of its own \(--home\)/);
    // ... and made in a data directory of its own, where the card is accepted again.
    const own = ['--home', join(work, 'pico-home')];
    custos(['tokens', 'accept', '--token-serial', 'ESPICOHSMTR', ...own]);
    const root = custos(['ca', 'init', '--token-serial', 'ESPICOHSMTR', '--key', 'pico-root', '--subject', 'C=XX, O=Custos, CN=Pico Root', '--name', 'pico-root', '--yes', '--json', ...own]).json;
    assert.ok(root.id, 'the card signed the root certificate');
    assert.match(custos(['tokens', ...own]).stdout, /device not attested by a known root \(accepted\)/);
  });
});
