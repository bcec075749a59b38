/**
 * The real core on a fresh SoftHSM2 token, logged in, with a root CA made
 * through the core's own channels: the files that use it are about what the
 * window shows of a CA, not about making one (ca-flow.test.ts makes its root
 * in the window).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAppCore, type AppCore } from '../../../electron/core.ts';
import { createSoftHsm, type SoftHsm } from '../../support/softhsm.ts';

export const USER_PIN = '123456';

export interface CoreWithRoot {
  readonly hsm: SoftHsm;
  readonly dataDir: string;
  readonly core: AppCore;
  readonly tokenId: string;
  readonly caId: string;
  /** Closes the core, then removes the token and the data folder. */
  close(): Promise<void>;
}

export interface RootOptions {
  /** One word naming the file's CA: "Errors" gives the token "Errors CA" and the root "C=DE, O=Custos Errors, CN=Custos Errors Root", named "Errors Root". */
  readonly name: string;
  readonly tokenLabel?: string;
  readonly validityDays?: number;
  /** How the core is opened on the token's module (default openAppCore). */
  readonly open?: (dataDir: string, modulePath: string) => Promise<AppCore>;
  /** Runs after the login, before the root's key is made (to wrap the token, say). */
  readonly afterLogin?: (core: AppCore, tokenId: string) => Promise<void>;
}

export async function openCoreWithRoot(options: RootOptions): Promise<CoreWithRoot> {
  const { name } = options;
  const word = name.toLowerCase();
  const hsm = await createSoftHsm();
  const dataDir = mkdtempSync(join(tmpdir(), `custos-e2e-${word}-`));
  let core: AppCore | undefined;
  try {
    await hsm.initToken(options.tokenLabel ?? `${name} CA`, '12345678', USER_PIN);
    core = await (options.open ?? ((dir, modulePath) => openAppCore({ dataDir: dir, rehearsalModules: [modulePath], operator: 'e2e' })))(dataDir, hsm.modulePath);
    const [token] = await core.handlers['token.list']();
    const tokenId = token!.id;
    await core.handlers['token.login']({ tokenId, pin: USER_PIN });
    await options.afterLogin?.(core, tokenId);
    const key = await core.handlers['token.generateKey']({ tokenId, spec: { kind: 'ec', curve: 'P-384' }, label: `${word}-root` });
    const terms = {
      tokenId, keySpkiSha256: key.spkiSha256, profileId: 'root-ca', subject: `C=DE, O=Custos ${name}, CN=Custos ${name} Root`,
      ...(options.validityDays !== undefined ? { validityDays: options.validityDays } : {}),
    };
    // Signed as the window signs: the preview's TBS hash is what is confirmed.
    const { tbsSha256 } = await core.handlers['ca.previewRoot'](terms);
    const ca = await core.handlers['ca.createRoot']({ ...terms, name: `${name} Root`, tbsSha256 });
    const opened = core;
    return {
      hsm, dataDir, core: opened, tokenId, caId: ca.id,
      close: async () => {
        await opened.close();
        await hsm.cleanup();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await core?.close().catch(() => {});
    await hsm.cleanup().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
}
