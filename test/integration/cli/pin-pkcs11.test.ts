/**
 * ↔ main/cli/custodian-commands.ts (custos pin status|change|unblock) on a
 * PKCS#11 token (SoftHSM2, through --module): a wrong SO-PIN is refused and
 * the SO-PIN's own count is then shown, the right one sets the new PIN, the
 * PIN is changed with the current one, and no PIN reaches the output.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSoftHsm, type SoftHsm } from '../../support/softhsm.ts';

const CLI = join(import.meta.dirname, '../../../bin/custos.mjs');
const LABEL = 'CLI PIN HSM';
const SO_PIN = '87654321';
const PIN = '246810';

describe('custos pin on a PKCS#11 token', () => {
  let work: string;
  let hsm: SoftHsm;
  const seen: string[] = [];

  function custos(args: string[], pins: Record<string, string>, json = true): { status: number | null; out: string } {
    const r = spawnSync(process.execPath, [CLI, ...args, '--token', LABEL, '--module', hsm.modulePath, ...(json ? ['--json'] : [])],
      { encoding: 'utf8', env: { ...process.env, SOFTHSM2_CONF: hsm.conf, CUSTOS_HOME: join(work, 'home'), CUSTOS_OPERATOR: 'tester', ...pins }, cwd: work, timeout: 120_000 });
    seen.push(r.stdout, r.stderr);
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  }

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-cli-p11-pin-'));
    hsm = await createSoftHsm();
    await hsm.initToken(LABEL, SO_PIN, PIN);
  });
  after(async () => {
    rmSync(work, { recursive: true, force: true });
    await hsm?.cleanup();
  });

  it('refuses a wrong SO-PIN, then shows the SO-PIN\'s count; the right one sets the new PIN, which then changes', () => {
    const wrong = custos(['pin', 'unblock', '--so-pin-env', 'SO', '--new-pin-env', 'NEW'], { SO: '11111111', NEW: '998877' });
    assert.notEqual(wrong.status, 0);
    assert.match(wrong.out, /PIN_INCORRECT/);
    assert.match(wrong.out, /SO-PIN is wrong/);
    const status = custos(['pin', 'status'], {}, false);
    assert.equal(status.status, 0, status.out);
    assert.match(status.out, /SO-PIN: wrong entries counted since the last good one; a few more block it/);
    assert.match(status.out, /A blocked SO-PIN cannot be reset/);
    const right = custos(['pin', 'unblock', '--so-pin-env', 'SO', '--new-pin-env', 'NEW'], { SO: SO_PIN, NEW: '998877' });
    assert.equal(right.status, 0, right.out);
    const changed = custos(['pin', 'change', '--pin-env', 'CUR', '--new-pin-env', 'NEW'], { CUR: '998877', NEW: PIN });
    assert.equal(changed.status, 0, changed.out);
    for (const secret of [SO_PIN, '11111111', '998877', PIN]) assert.ok(!seen.join('\n').includes(secret), `no PIN in the output: ${secret}`);
  });
});
