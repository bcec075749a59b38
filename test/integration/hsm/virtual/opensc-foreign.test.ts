/**
 * The virtual card provisioned as a foreign card (a 67 request and a
 * self-issued 7F21 in EF 2F02, as pico-hsm writes them) is still a card
 * OpenSC takes for a SmartCard-HSM: OpenSC reads the CHR of the first CV
 * object in EF 2F02, 67 included, and shows the serial every such card shares.
 * So the layout the rehearsal option makes is one a real host meets.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualCard } from '../../../../main/hsm/virtual/card.ts';
import { ScHsmCard } from '../../../../main/hsm/sc-hsm/card.ts';
import { InProcessTransport } from '../../../../main/hsm/sc-hsm/inprocess-transport.ts';
import { Secret } from '../../../../main/secret.ts';
import { startCardProcess, TEST_SO_PIN, type CardProcess } from '../../../support/card-process.ts';

const MODULE = '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so';
const isRoot = process.getuid?.() === 0;

describe('OpenSC and the foreign virtual card', { skip: isRoot ? false : 'a private pcscd needs root' }, () => {
  let dir: string;
  let card: CardProcess;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'custos-opensc-foreign-'));
    const file = join(dir, 'pico.vsc');
    const vc = await VirtualCard.create(file, { foreign: {} });
    const sc = await ScHsmCard.open(new InProcessTransport(vc, { ownsCard: false }));
    await sc.initialize({ soPin: Secret.fromString(TEST_SO_PIN), pin: Secret.fromString('648219') });
    await sc.close();
    await vc.close();
    card = await startCardProcess(file);
  });

  after(async () => {
    await card?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is a SmartCard-HSM token to opensc-pkcs11, with the serial every such card shows', () => {
    const r = spawnSync('pkcs11-tool', ['--module', MODULE, '-T'], { env: { ...process.env, ...card.ready.env }, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /serial num\s*:\s*ESPICOHSMTR\s*$/m);
    assert.match(r.stdout, /token flags\s*:.*token initialized/);
  });
});
