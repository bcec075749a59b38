/**
 * OpenSC agrees with Custos about the custodian quorum of the virtual
 * SmartCard-HSM, through a private pcscd + vpcd: sc-hsm-tool exports the
 * registration file byte for byte as Custos writes it, Custos registers
 * sc-hsm-tool's file, and `sc-hsm-tool --public-key-auth-status` shows the
 * numbers Custos shows before and after registration and authentication.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualCard } from '../../../../main/hsm/virtual/card.ts';
import { ScHsmCard } from '../../../../main/hsm/sc-hsm/card.ts';
import { ScHsmToken } from '../../../../main/hsm/sc-hsm/token.ts';
import { InProcessTransport } from '../../../../main/hsm/sc-hsm/inprocess-transport.ts';
import { cardCustodian, decodeRegistrationFile, encodeRegistrationFile, PROTECTING_OPTIONS, type CustodianAuthenticator } from '../../../../main/hsm/sc-hsm/pka.ts';
import { Secret } from '../../../../main/secret.ts';
import { startPcscd, type Pcscd } from '../../../support/pcscd.ts';

const SO_PIN = '3537363231383830';
const PIN = '648219';
const TOOL_TIMEOUT_MS = 120_000;
const isRoot = process.getuid?.() === 0;

interface Run { readonly code: number; readonly out: string }

function tool(pcscd: Pcscd, args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile('sc-hsm-tool', args, { env: pcscd.env, timeout: TOOL_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, out: `${stdout}${stderr}` });
    });
  });
}

/** What sc-hsm-tool --public-key-auth-status prints, as numbers. */
async function openscStatus(pcscd: Pcscd): Promise<{ total: number; missing: number; required: number; authenticated: number }> {
  const run = await tool(pcscd, ['--public-key-auth-status']);
  assert.equal(run.code, 0, run.out);
  const n = (label: RegExp): number => {
    const m = label.exec(run.out);
    assert.ok(m, `sc-hsm-tool printed ${label}:\n${run.out}`);
    return Number(m[1]);
  };
  return {
    total: n(/Number of public keys:\s*(\d+)/), missing: n(/Missing public keys:\s*(\d+)/),
    required: n(/Required pubkeys for auth:\s*(\d+)/), authenticated: n(/Authenticated public keys:\s*(\d+)/),
  };
}

async function initializedCard(file: string, options: Parameters<ScHsmCard['initialize']>[0] extends infer O ? Partial<O> : never): Promise<VirtualCard> {
  const vc = await VirtualCard.create(file);
  const card = await ScHsmCard.open(new InProcessTransport(vc, { ownsCard: false }));
  await card.initialize({ soPin: Secret.fromString(SO_PIN), pin: Secret.fromString(PIN), ...options });
  await card.close();
  return vc;
}

describe('sc-hsm-tool and Custos agree on the custodian quorum', { skip: isRoot ? false : 'a private pcscd needs root' }, () => {
  let dir: string;
  const custodianTokens: ScHsmToken[] = [];
  const custodianCards: VirtualCard[] = [];
  const authenticators: CustodianAuthenticator[] = [];
  const files: Uint8Array[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'custos-pka-opensc-'));
    for (const name of ['alice', 'bob', 'carol']) {
      const vc = await initializedCard(join(dir, `${name}.vsc`), {});
      const token = await ScHsmToken.open(new InProcessTransport(vc, { ownsCard: false }));
      await token.login(Secret.fromString(PIN));
      const { key, exported } = await token.generateCustodianKey(`${name} authentication key`);
      authenticators.push(await cardCustodian(token.card, Number.parseInt(key.id, 16)));
      files.push(encodeRegistrationFile(exported));
      custodianTokens.push(token);
      custodianCards.push(vc);
    }
  });

  after(async () => {
    for (const t of custodianTokens) await t.close();
    for (const c of custodianCards) await c.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exports, with sc-hsm-tool --export-for-pub-key-auth, the very file Custos writes for the custodian key', async () => {
    const pcscd = await startPcscd({ card: custodianCards[0]! });
    try {
      const out = join(dir, 'alice-by-sc-hsm-tool.pka');
      const run = await tool(pcscd, ['--key-reference', '1', '--export-for-pub-key-auth', out]);
      assert.equal(run.code, 0, run.out);
      const made = new Uint8Array(readFileSync(out));
      assert.deepEqual(Buffer.from(made).toString('hex'), Buffer.from(files[0]!).toString('hex'));
      assert.deepEqual(decodeRegistrationFile(made), decodeRegistrationFile(files[0]!));
      files[0] = made;
    } finally {
      await pcscd.stop();
    }
  });

  it('shows the numbers Custos shows before and after registration and authentication', async () => {
    const vc = await initializedCard(join(dir, 'ca.vsc'), { pka: { total: 3, required: 2 }, options: PROTECTING_OPTIONS });
    const pcscd = await startPcscd({ card: vc });
    const hsm = await ScHsmToken.open(new InProcessTransport(vc, { ownsCard: false }));
    const custos = async (): Promise<{ total: number; missing: number; required: number; authenticated: number }> => {
      const q = (await hsm.quorumMode()).status!;
      return { total: q.totalKeys, missing: q.keysToRegister, required: q.requiredKeys, authenticated: q.authenticatedKeys };
    };
    try {
      assert.deepEqual(await openscStatus(pcscd), { total: 3, missing: 3, required: 2, authenticated: 0 });
      assert.deepEqual(await custos(), await openscStatus(pcscd));

      await hsm.login(Secret.fromString(PIN));
      // alice's file is the one sc-hsm-tool exported.
      for (const file of files) await hsm.registerCustodian(decodeRegistrationFile(file));
      assert.deepEqual(await custos(), { total: 3, missing: 0, required: 2, authenticated: 0 });
      assert.deepEqual(await openscStatus(pcscd), await custos());

      // sc-hsm-tool's export selected alice's card too, which logged her token out: she types her PIN again.
      await custodianTokens[0]!.login(Secret.fromString(PIN));
      await hsm.authenticateCustodian(authenticators[0]!);
      await hsm.authenticateCustodian(authenticators[2]!);
      const ours = await custos();
      assert.equal(ours.authenticated, 2);
      // OpenSC SELECTs the applet when it connects, which logs the card out (SC-HSM.md §1.5, OpenSC issue #594):
      // it reads 0, and Custos, reading the card again, sees the same 0 and no longer counts the two custodians.
      const theirs = await openscStatus(pcscd);
      assert.deepEqual(theirs, { total: 3, missing: 0, required: 2, authenticated: 0 });
      assert.deepEqual(await custos(), theirs);
      assert.deepEqual(hsm.info.quorum?.custodians, []);
    } finally {
      await hsm.close();
      await pcscd.stop();
      await vc.close();
    }
  });
});
