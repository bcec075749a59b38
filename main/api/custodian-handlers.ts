/**
 * The channels of what custodians read and sign before they sign it, and
 * where the results go: the CRL preview, export destinations, the journal
 * exported, a request made from a token key, and the PIN changed or
 * unblocked. handlers.ts registers them beside the others.
 */
import { mkdirSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import { CustosError } from '../errors/index.ts';
import { Secret } from '../secret.ts';
import type { Custos } from '../custos.ts';
import type { TokenInfo } from '../hsm/token.ts';
import { changeUserPin, unblockUserPin } from '../hsm/pin-change.ts';
import { defaultExportDir, writeExport } from '../ca/export.ts';
import { exportJournal } from '../ca/journal-export.ts';
import { requestForTokenKey } from '../ca/key-request.ts';
import { listRemovableMedia } from '../exchange/removable-media.ts';
import type { ReadGrants } from '../exchange/read-grants.ts';
import { exportFileName, PEM_LABEL, safeBaseName, toPem } from '../pki/formats/index.ts';
import { previewCrlReporting } from './crl-preview.ts';
import type { ExportDestination, ExportResult, Handlers, Output } from './contract.ts';

type Out<T extends z.ZodType> = z.output<T>;

/** What the shell lends for destinations: its folder dialog (none in the dev host unless a test gives one). */
export interface ShellFolders {
  readonly pickFolder?: () => Promise<string | undefined>;
}

const exportOut = (out: { path: string; fileName: string; bytes: Uint8Array }): Out<typeof ExportResult> =>
  ({ path: out.path, fileName: out.fileName, contentBase64: Buffer.from(out.bytes).toString('base64'), bytes: out.bytes.length });

/**
 * Where the window may have exports written: the data directory's exports
 * folder, a folder on a removable medium, or a folder the person picked in
 * the shell's dialog. Any other folder the window names is PATH_NOT_PERMITTED:
 * a hostile page must not be able to drop files elsewhere on the workstation.
 */
export class ExportFolders {
  readonly #picked = new Set<string>();
  readonly #grants: ReadGrants;

  constructor(grants: ReadGrants) {
    this.#grants = grants;
  }

  grant(path: string): void {
    if (isAbsolute(path)) this.#picked.add(resolve(path));
  }

  /** The folder to write into, or {} for the data directory's exports folder. */
  async permit(directory: string | undefined): Promise<{ directory?: string }> {
    if (directory === undefined) return {};
    if (isAbsolute(directory) && this.#picked.has(resolve(directory))) {
      return { directory: await realpath(resolve(directory)).catch(() => resolve(directory)) };
    }
    return { directory: await this.#grants.permitFolder(directory) };
  }
}

export function custodianHandlers(custos: Custos, folders: ExportFolders, shell: ShellFolders,
  tokenSummary: (info: TokenInfo) => Output<'token.logout'>,
  requestSummaryOf: (requestId: string) => Output<'request.list'>[number],
): Pick<Handlers, 'crl.preview' | 'export.destinations' | 'export.pickFolder' | 'journal.export' | 'key.csr' | 'token.pinStatus' | 'token.changePin' | 'token.unblockPin'> {
  const ctx = custos.ctx;
  return {
    'crl.preview': async (input) => previewCrlReporting(custos, input),
    'export.destinations': async () => {
      const media = (await listRemovableMedia()).filter((m) => !m.readOnly);
      const out: Out<typeof ExportDestination>[] = [
        { kind: 'exports', path: defaultExportDir(ctx), label: 'Custos exports folder (on this workstation)' },
        ...media.map((m) => ({ kind: 'medium' as const, path: m.mountPoint, label: `${m.mountPoint.split('/').pop() ?? m.mountPoint} (removable, ${m.device})` })),
      ];
      return out;
    },
    'export.pickFolder': async () => {
      if (shell.pickFolder === undefined) {
        throw new CustosError('PATH_NOT_PERMITTED', 'This window has no folder dialog: choose a removable medium or the Custos exports folder.', {});
      }
      const picked = await shell.pickFolder();
      if (picked === undefined) return undefined;
      folders.grant(picked);
      return { kind: 'folder', path: resolve(picked), label: resolve(picked) };
    },
    'journal.export': async ({ format, directory }) => {
      const where = await folders.permit(directory);
      if (where.directory === undefined) mkdirSync(defaultExportDir(ctx), { recursive: true });
      return exportOut(await exportJournal(ctx, { format, ...where }));
    },
    'key.csr': async ({ tokenId, keySpkiSha256, subject, directory }) => {
      const where = await folders.permit(directory);
      const { der, record } = await custos.exclusive('making a request', () => requestForTokenKey(ctx, { tokenId, keySpkiSha256, subject }));
      const fileName = exportFileName('csr', 'pem', `${safeBaseName(record.subject)}-${record.id.slice(0, 8)}`);
      const exported = await writeExport(ctx, where.directory, fileName, new TextEncoder().encode(toPem(der, PEM_LABEL.csr)),
        { artifact: 'request', requestId: record.id, format: 'pem' }, false);
      return { request: requestSummaryOf(record.id), export: exportOut(exported) };
    },
    'token.pinStatus': async ({ tokenId }) => {
      const token = await ctx.tokens.open(tokenId);
      const info = await token.refresh();
      const so = await token.soPinState?.().catch(() => undefined);
      return { token: tokenSummary(info), ...(so ? { soPin: { ...so } } : {}) };
    },
    'token.changePin': async ({ tokenId, pin, newPin, confirmFinalTry }) => {
      const token = await ctx.tokens.open(tokenId);
      return tokenSummary(await changeUserPin(ctx.journal, token, Secret.fromString(pin), Secret.fromString(newPin), { confirmFinalTry: confirmFinalTry ?? false }));
    },
    'token.unblockPin': async ({ tokenId, soPin, newPin, confirmFinalTry }) => {
      const token = await ctx.tokens.open(tokenId);
      return tokenSummary(await unblockUserPin(ctx.journal, token, Secret.fromString(soPin), Secret.fromString(newPin), { confirmFinalTry: confirmFinalTry ?? false }));
    },
  };
}
