/**
 * The key-domain channels of the contract: DKEK share files made and
 * imported one custodian at a time, key backup to a .wky and restore into a
 * secondary HSM. A password arrives here once, becomes a Secret, and goes no
 * further than the share-file key derivation.
 *
 * Files: what the window names is read or written only in the data
 * directory's own folders (dkek-shares, key-backups), or where the window may
 * read and write anyway (a removable medium, a file the person picked).
 */
import { lstatSync, readdirSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { z } from 'zod';
import { CustosError } from '../errors/index.ts';
import { Secret } from '../secret.ts';
import type { KeySpec } from '../hsm/token.ts';
import type { Custos } from '../custos.ts';
import type { ReadGrants } from '../exchange/read-grants.ts';
import {
  createDkekShare, domainStatus, importDkekShareFile, passwordFromShares, readShareFile, shareFileIterationsForTests, SHARES_FOLDER, type ShareWorkOptions,
} from '../ca/key-domain.ts';
import { BACKUPS_FOLDER, backupKeyToFile, describeBackup, restoreKeyFromFile } from '../ca/key-backup-act.ts';
import type { Handlers, KeyDomainFile } from './contract.ts';

const DERIVED = 'the key is derived and the share is being written or imported now; it ends in a moment.';

type KeyDomainChannel = 'keydomain.status' | 'keydomain.files' | 'keydomain.createShare' | 'keydomain.importShare' | 'keydomain.backupKey' | 'keydomain.inspectBackup'
  | 'keydomain.restoreKey';

function inside(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

function filesIn(folder: string, kind: 'share' | 'backup'): z.output<typeof KeyDomainFile>[] {
  let names: string[];
  try { names = readdirSync(folder); } catch { return []; }
  return names.filter((n) => (kind === 'share' ? /\.pbe$/i.test(n) : /\.wky$/i.test(n))).flatMap((fileName) => {
    const path = join(folder, fileName);
    try {
      const info = lstatSync(path);
      return info.isFile() ? [{ path, fileName, kind, bytes: info.size }] : [];
    } catch {
      return [];
    }
  });
}

export function createKeyDomainHandlers(custos: Custos, grants: ReadGrants): Pick<Handlers, KeyDomainChannel> {
  const ctx = custos.ctx;
  const sharesDir = join(ctx.dataDir, SHARES_FOLDER);
  const backupsDir = join(ctx.dataDir, BACKUPS_FOLDER);
  // A file of the data directory's own folders, or one the window may read anyway.
  const readable = async (path: string, folder: string): Promise<string> => {
    const absolute = resolve(path);
    return inside(absolute, folder) && !absolute.slice(folder.length).includes('/..') ? absolute : await grants.permitFile(path);
  };
  const writable = async (directory: string | undefined): Promise<{ directory?: string }> =>
    (directory === undefined ? {} : { directory: await grants.permitFolder(directory) });
  const backupPath = async (path: string): Promise<string> => {
    if (!/\.wky$/i.test(path)) throw new CustosError('KEY_BACKUP_INVALID', 'Choose the .wky file of the backup.', {});
    return await readable(path, backupsDir);
  };
  // The share file's key derivation reports into the core's one progress hub, and work.cancel stops it
  // at once (its worker is ended); once the key is derived, what follows is short and is not stopped.
  const withWork = async <T>(operation: 'keydomain.createShare' | 'keydomain.importShare', act: (options: ShareWorkOptions) => Promise<T>): Promise<T> => {
    const work = custos.work.begin(operation);
    const iterations = shareFileIterationsForTests({ rehearsal: custos.rehearsalOnly });
    try {
      return await act({
        ...(iterations !== undefined ? { iterations } : {}),
        signal: work.signal,
        onProgress: (done, total, label) => work.report(done, total, label, total > 0 && done >= total ? DERIVED : null),
      });
    } finally {
      work.end();
    }
  };
  return {
    'keydomain.status': async ({ tokenId }) => {
      const s = await domainStatus(ctx, tokenId);
      return { ...s, shares: s.shares.map((x) => ({ ...x })) };
    },
    'keydomain.files': async () => [...filesIn(sharesDir, 'share'), ...filesIn(backupsDir, 'backup')],
    'keydomain.createShare': async ({ custodian, password, passwordRepeat, directory, passwordShares }) => {
      if (passwordShares !== undefined && (password !== undefined || passwordRepeat !== undefined)) {
        throw new CustosError('INPUT_INVALID', 'A share\'s password is either typed by its custodian or split among several people, not both.', {});
      }
      const typed = passwordShares === undefined
        ? { password: Secret.fromString(password ?? ''), passwordRepeat: Secret.fromString(passwordRepeat ?? '') } : { passwordShares };
      const made = await custos.exclusive('DKEK share creation', async () => withWork('keydomain.createShare', async (options) => createDkekShare(ctx, { custodian, ...typed, ...(await writable(directory)) }, options)));
      return {
        custodian: made.custodian, path: made.path, fileName: made.fileName, shareKcv: made.shareKcv, createdAt: made.createdAt,
        ...(made.passwordShares ? { passwordShares: { ...made.passwordShares, shares: made.passwordShares.shares.map((x) => ({ ...x })) } } : {}),
      };
    },
    'keydomain.importShare': async ({ tokenId, path, password, expectedKcv, expectedShareKcv, passwordShares }) => {
      if ((password === undefined) === (passwordShares === undefined)) {
        throw new CustosError('INPUT_INVALID', 'Open the share file with its password, or with its password shares and prime: one of the two.', {});
      }
      const secret = password !== undefined ? Secret.fromString(password) : passwordFromShares(passwordShares!.prime, passwordShares!.shares);
      try {
        const file = await readShareFile(await readable(path, sharesDir));
        const done = await custos.exclusive('DKEK share import', () => withWork('keydomain.importShare', (options) => importDkekShareFile(ctx, {
          tokenId, file, fileName: path, password: secret, ...(expectedKcv ? { expectedKcv } : {}), ...(expectedShareKcv ? { expectedShareKcv } : {}),
        }, options)));
        return { ...done, shares: done.shares.map((x) => ({ ...x })) };
      } finally {
        secret.wipe();
      }
    },
    'keydomain.backupKey': async ({ tokenId, label, keySpkiSha256, directory }) => {
      const written = await custos.exclusive('key backup', async () => backupKeyToFile(ctx, { tokenId, label, spkiSha256: keySpkiSha256, ...(await writable(directory)) }));
      const m = written.metadata;
      return {
        label: m.label, keySpec: { ...m.keySpec } as KeySpec, spkiSha256: m.spkiSha256, domainKcv: m.domainKcv, wkyPath: written.wkyPath,
        metadataPath: written.metadataPath, createdAt: m.createdAt, cas: m.cas.map((c) => ({ ...c })),
      };
    },
    'keydomain.inspectBackup': async ({ path }) => {
      const d = await describeBackup(ctx, await backupPath(path));
      return { label: d.label, keySpec: { ...d.keySpec } as KeySpec, spkiSha256: d.spkiSha256, domainKcv: d.domainKcv, hasRecord: d.hasRecord, cas: d.cas.map((c) => ({ ...c })) };
    },
    'keydomain.restoreKey': async ({ tokenId, path, expectedKeySha256 }) => {
      const wkyPath = await backupPath(path);
      const restored = await custos.exclusive('key restore', () => restoreKeyFromFile(ctx, { tokenId, wkyPath, ...(expectedKeySha256 ? { expectedSpkiSha256: expectedKeySha256 } : {}) }));
      const k = restored.key;
      return {
        tokenId, key: { tokenId, id: k.id, label: k.label, spec: { ...k.spec } as KeySpec, spkiSha256: k.spkiSha256 },
        domainKcv: restored.description.domainKcv, expectedBy: restored.expectedBy, journalKeyVouched: restored.journalKeyVouched,
      };
    },
  };
}
