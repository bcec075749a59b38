/**
 * OpenSC's side of an interop test: its tools (sc-hsm-tool, pkcs11-tool) run
 * against the virtual card of a card process through that process's pcscd,
 * and Custos's driver reaches the same card over PC/SC for one step at a time,
 * so that the tools get the reader back after it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { ScHsmProvider } from '../../../../main/hsm/sc-hsm/provider.ts';
import type { ScHsmToken } from '../../../../main/hsm/sc-hsm/token.ts';
import type { CardProcess } from '../../../support/card-process.ts';
import { pin } from './fixtures.ts';

export const OPENSC_PKCS11 = '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so';
/** A share file at sc-hsm-tool's fixed 10,000,000 iterations takes tens of seconds on a busy machine. */
const TOOL_TIMEOUT_MS = 300_000;

export interface ToolRun { readonly code: number; readonly out: string }

/** Runs an OpenSC tool against the card process's pcscd, typing `input` on its stdin. */
export function runTool(card: CardProcess, command: string, args: readonly string[], input?: string): Promise<ToolRun> {
  return new Promise((resolve) => {
    // TERM: sc-hsm-tool clears the screen between password shares with `clear`.
    const child = execFile(command, args, { env: { ...process.env, ...card.ready.env, TERM: 'dumb' }, timeout: TOOL_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, out: `${stdout}${stderr}` });
    });
    child.stdin?.end(input ?? '');
  });
}

/** runTool that must succeed; returns what the tool printed. */
export async function toolOk(card: CardProcess, command: string, args: readonly string[], input?: string): Promise<string> {
  const run = await runTool(card, command, args, input);
  assert.equal(run.code, 0, `${command} ${args.join(' ')} failed:\n${run.out}`);
  return run.out;
}

/** Custos's driver on the card process's card, over PC/SC and logged in, for one step. */
export async function overPcsc<T>(step: (token: ScHsmToken) => Promise<T>): Promise<T> {
  const provider = new ScHsmProvider();
  try {
    const token = await provider.openScHsm({});
    await token.login(pin());
    return await step(token);
  } finally {
    await provider.close();
  }
}
