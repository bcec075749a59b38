/**
 * A private SoftHSM2 for one test file: its own configuration and token
 * directory under a fresh temporary directory, removed by cleanup().
 *
 * SoftHSM reads SOFTHSM2_CONF once, at C_Initialize, and reads its token
 * directory then too. So: call createSoftHsm() and initToken() for every token
 * the file needs BEFORE the first provider/token is opened in this process; a
 * token initialised later is seen only after every provider using the module has
 * closed (the module is finalised) and a new one is opened.
 *
 *   const hsm = await createSoftHsm();
 *   const serial = await hsm.initToken('CA-1', '12345678', '123456');
 *   const provider = new Pkcs11Provider({ modulePath: hsm.modulePath });
 *   …
 *   await provider.close(); await hsm.cleanup();
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_SOFTHSM_MODULE } from '../../main/hsm/pkcs11/index.ts';

const run = promisify(execFile);

export interface SoftHsm {
  /** The temporary directory holding the configuration and the tokens. */
  readonly dir: string;
  /** Path of the SOFTHSM2_CONF file (already set in process.env). */
  readonly conf: string;
  readonly modulePath: string;
  /** Initialises the next free token with these label and PINs; resolves to its serial. */
  initToken(label: string, soPin: string, userPin: string): Promise<string>;
  /** Removes the directory (and unsets SOFTHSM2_CONF if it still points here). Close providers first. */
  cleanup(): Promise<void>;
}

/** The serials of the tokens labelled `label`, from `softhsm2-util --show-slots`. */
function serialsOf(showSlots: string, label: string): string[] {
  const serials: string[] = [];
  for (const block of showSlots.split(/^Slot /mu)) {
    const blockLabel = /^[ \t]*Label:[ \t]*(.*?)[ \t]*$/mu.exec(block)?.[1];
    const serial = /^[ \t]*Serial number:[ \t]*(\S*)[ \t]*$/mu.exec(block)?.[1];
    if (blockLabel === label && serial) serials.push(serial);
  }
  return serials;
}

export async function createSoftHsm(): Promise<SoftHsm> {
  const dir = await mkdtemp(join(tmpdir(), 'custos-softhsm-'));
  const tokens = join(dir, 'tokens');
  const conf = join(dir, 'softhsm2.conf');
  await mkdir(tokens);
  await writeFile(conf, [
    `directories.tokendir = ${tokens}`,
    'objectstore.backend = file',
    'log.level = ERROR',
    'slots.removable = false',
    '',
  ].join('\n'));
  process.env.SOFTHSM2_CONF = conf;
  const env = { ...process.env, SOFTHSM2_CONF: conf };

  return {
    dir,
    conf,
    modulePath: DEFAULT_SOFTHSM_MODULE,
    async initToken(label, soPin, userPin) {
      const before = serialsOf((await run('softhsm2-util', ['--show-slots'], { env })).stdout, label);
      await run('softhsm2-util', ['--init-token', '--free', '--label', label, '--so-pin', soPin, '--pin', userPin], { env });
      const after = serialsOf((await run('softhsm2-util', ['--show-slots'], { env })).stdout, label);
      // Labels may repeat (a test of TOKEN_AMBIGUOUS does that): the new serial is the one not seen before.
      const serial = after.find((s) => !before.includes(s));
      if (serial === undefined) throw new Error(`softhsm2-util initialised "${label}" but --show-slots does not list it`);
      return serial;
    },
    async cleanup() {
      if (process.env.SOFTHSM2_CONF === conf) delete process.env.SOFTHSM2_CONF;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
