/**
 * The key-domain commands: custos dkek create|import|status and custos key
 * backup|restore. Each reads its options, runs one act of main/ca/key-domain.ts
 * or main/ca/key-backup-act.ts, and reports it; passwords come from
 * password.ts, never from argv, and are never printed.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CustosError } from '../errors/index.ts';
import type { Custos } from '../custos.ts';
import type { Token } from '../hsm/token.ts';
import { Secret } from '../secret.ts';
import {
  createDkekShare, domainStatus, shareFileIterationsForTests, SHARE_FILE_ITERATIONS_ENV, importDkekShareFile, passwordFromShares, readShareFile, type DomainStatus, type ShareWorkOptions,
} from '../ca/key-domain.ts';
import { backupKeyToFile, backupSummary, restoreKeyFromFile } from '../ca/key-backup-act.ts';
import { shown, type Output } from './output.ts';
import { readNewSharePassword, readSharePassword } from './password.ts';
import { type CliValues, str, need } from './values.ts';

export const KEY_DOMAIN_USAGE = `
Key domains (SmartCard-HSM DKEK shares, key backup and restore):
  custos dkek create --custodian NAME [--out DIR] [--pwd-shares-threshold T --pwd-shares-total N]
                                                     one custodian's DKEK share file (password typed twice, or split T-of-N)
  custos dkek import --token LABEL --file SHARE [--share-kcv HEX] [--expect-kcv HEX] [--password-shares-file FILE]
                                                     one custodian imports their share: "k of n shares imported"
                                                     (--share-kcv: the share's KCV from its paper record; --expect-kcv: the domain's)
  custos dkek status --token LABEL                   the card's key domain: shares imported, KCV once complete
  custos key backup --token LABEL --key KEYLABEL --fingerprint SHA256 [--out DIR]
                                                     wrap a key into KEYLABEL-….wky and its .custos.json
  custos key restore --token LABEL --file KEY.wky [--expect-key SHA256] [--source-token LABEL|--source-token-id ID --source-pin-env VAR]
                                                     unwrap it into a card of the same domain; the source token vouches for it
                                                     (--expect-key: the whole SHA-256 of the key's public key; needed for a .wky
                                                     with no .custos.json, as sc-hsm-tool --wrap-key writes, unless a CA has that key)
Share passwords: --password-env VAR | --password-file FILE, otherwise asked (twice for a new one), never echoed.
`;

/** What commands.ts lends: its core opening and token choice, so this module imports nothing of it. */
export interface CommandTools {
  withCore<T>(values: CliValues, out: Output, act: (core: Custos, out: Output) => Promise<T>): Promise<T>;
  loggedInToken(core: Custos, values: CliValues): Promise<Token>;
  findTokenId(core: Custos, values: CliValues): Promise<string>;
}

function count(values: CliValues, name: string): number | undefined {
  const v = str(values[name]);
  if (v === undefined) return undefined;
  if (!/^\d{1,3}$/.test(v)) throw new CustosError('INPUT_INVALID', `--${name} takes a whole number, not "${v}".`, { option: name });
  return Number(v);
}

const passwordSource = (values: CliValues) => ({ passwordEnv: str(values['password-env']), passwordFile: str(values['password-file']) });

/** Progress of the share-file key derivation on stderr, a line at a time (no terminal tricks). */
function progressNotes(core: Custos, out: Output): ShareWorkOptions {
  let last = -1;
  const iterations = shareFileIterationsForTests({ rehearsal: core.rehearsalOnly });
  if (iterations !== undefined) out.note(`warning: ${SHARE_FILE_ITERATIONS_ENV} is set: share files use ${iterations} KDF rounds, and no other tool opens them. For tests only.`);
  return {
    ...(iterations !== undefined ? { iterations } : {}),
    onProgress: (done, total, label) => {
      const percent = total > 0 ? Math.floor((100 * done) / total / 10) * 10 : -1;
      if (percent === last) return;
      last = percent;
      out.note(percent < 0 ? `${label}…` : `${label}: ${percent}%`);
    },
  };
}

function statusLine(s: DomainStatus): string {
  if (!s.configured) return 'No key domain: the card was initialized without DKEK shares, so its keys can be neither backed up nor restored.';
  const head = `${s.importedShares} of ${s.totalShares} DKEK shares imported`;
  const shares = s.shares.map((x, i) => `  share ${i + 1}: KCV ${x.shareKcv} (${shown(x.fileName)}, ${x.time})`);
  return [s.complete ? `${head}: key domain complete, KCV ${s.kcv}` : `${head}: ${s.outstandingShares} to go, then the domain's KCV is known`, ...shares].join('\n');
}

/**
 * A password split among several people: a file of lines, the first
 * "prime 0A:1B:…", then "ID 0A:1B:…" per share at hand (as sc-hsm-tool shows
 * them). A file rather than argv, so the values stay out of the process list.
 */
export function passwordFromSharesFile(path: string): Secret {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch {
    throw new CustosError('FILE_NOT_FOUND', `Cannot read the password shares file ${path}.`, { path });
  }
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const prime = /^prime\s+(\S+)$/i.exec(lines[0] ?? '')?.[1];
  const shares = lines.slice(1).map((l) => /^(\d{1,3})\s+(\S+)$/.exec(l)).map((m) => (m ? { id: Number(m[1]), value: m[2]! } : undefined));
  if (prime === undefined || shares.length < 2 || shares.some((s) => s === undefined)) {
    throw new CustosError('PASSWORD_SHARES_INVALID', `${path}: the first line is "prime <colon hex>", then one line "<share ID> <colon hex>" per password share (at least two).`, { path });
  }
  return passwordFromShares(prime, shares as { id: number; value: string }[]);
}

export const KEY_DOMAIN_COMMANDS = ['dkek create', 'dkek import', 'dkek status', 'key backup', 'key restore'] as const;

export function isKeyDomainCommand(command: string): boolean {
  return (KEY_DOMAIN_COMMANDS as readonly string[]).includes(command);
}

export async function runKeyDomainCommand(command: string, values: CliValues, out: Output, tools: CommandTools): Promise<void> {
  switch (command) {
    case 'dkek create':
      return tools.withCore(values, out, async (core, out) => {
        const custodian = need(values, 'custodian', 'the name of the custodian who keeps this share');
        const threshold = count(values, 'pwd-shares-threshold');
        const total = count(values, 'pwd-shares-total');
        if ((threshold === undefined) !== (total === undefined)) {
          throw new CustosError('INPUT_INVALID', 'Give both --pwd-shares-threshold and --pwd-shares-total, or neither.', {});
        }
        const directory = str(values.out);
        // Before the password is asked: a refused KDF setting must not cost a custodian their typing.
        const work = progressNotes(core, out);
        const secret = threshold === undefined ? await readNewSharePassword(passwordSource(values), `Password for ${custodian}'s share: `) : undefined;
        const made = await createDkekShare(core.ctx, {
          custodian, ...(directory ? { directory: resolve(directory) } : {}),
          ...(secret ? { password: secret.password, passwordRepeat: secret.repeat } : { passwordShares: { threshold: threshold!, total: total! } }),
        }, work);
        out.result(made, () => [
          `DKEK share of ${shown(made.custodian)} written: ${shown(made.path)}`,
          `  share KCV ${made.shareKcv}   created ${made.createdAt}`,
          ...(made.passwordShares ? [
            `  Its password is split ${made.passwordShares.threshold}-of-${made.passwordShares.shares.length}. Each holder writes down the prime and their own share, and nothing else:`,
            `  prime ${made.passwordShares.prime}`,
            ...made.passwordShares.shares.map((s) => `  share ID ${s.id}: ${s.value}`),
          ] : []),
          'Copy the file to the custodian\'s own medium; write the share KCV on their paper record.',
        ].join('\n'));
      });
    case 'dkek import':
      return tools.withCore(values, out, async (core, out) => {
        const path = resolve(need(values, 'file', 'the custodian\'s share file'));
        const file = await readShareFile(path);
        const work = progressNotes(core, out);
        const token = await tools.loggedInToken(core, values);
        const tokenId = await tools.findTokenId(core, values);
        const sharesFile = str(values['password-shares-file']);
        const password = sharesFile ? passwordFromSharesFile(sharesFile) : await readSharePassword(passwordSource(values), `Password of ${path}: `);
        const expected = str(values['expect-kcv']);
        const expectedShare = str(values['share-kcv']);
        const done = await importDkekShareFile(core.ctx, {
          tokenId, file, fileName: path, password, ...(expected ? { expectedKcv: expected.replaceAll(':', '') } : {}),
          ...(expectedShare ? { expectedShareKcv: expectedShare.replaceAll(':', '') } : {}),
        }, work);
        out.result(done, () => [`Share KCV ${done.shareKcv} imported into ${shown(token.info.label)}.`, statusLine(done),
          ...(done.complete && done.expectedKcv ? [`The domain's KCV matches the expected ${done.expectedKcv}.`] : [])].join('\n'));
      });
    case 'dkek status':
      return tools.withCore(values, out, async (core) => {
        const tokenId = await tools.findTokenId(core, values);
        const status = await domainStatus(core.ctx, tokenId);
        out.result(status, () => statusLine(status));
      });
    case 'key backup':
      return tools.withCore(values, out, async (core, out) => {
        await tools.loggedInToken(core, values);
        const tokenId = await tools.findTokenId(core, values);
        const directory = str(values.out);
        const written = await core.exclusive('key backup', () => backupKeyToFile(core.ctx, {
          tokenId, label: need(values, 'key', 'the key\'s label (custos key list)'),
          spkiSha256: need(values, 'fingerprint', 'the SHA-256 of the key\'s public key, or its first 16 hex digits (custos key list)'),
          ...(directory ? { directory: resolve(directory) } : {}),
        }));
        out.result({ wkyPath: written.wkyPath, metadataPath: written.metadataPath, ...written.metadata },
          () => `Backed up ${shown(backupSummary(written.metadata))}\n  written: ${shown(written.wkyPath)}, ${shown(written.metadataPath)}`);
      });
    case 'key restore':
      return tools.withCore(values, out, async (core, out) => {
        const wkyPath = resolve(need(values, 'file', 'the .wky file the backup wrote'));
        const sourceLabel = str(values['source-token']);
        const sourceId = str(values['source-token-id']);
        if (sourceLabel !== undefined || sourceId !== undefined) {
          // The token the key came from vouches for the secondary's journal key, so the secondary can later sign alone.
          await tools.loggedInToken(core, { token: sourceLabel, 'token-id': sourceId, 'pin-env': values['source-pin-env'], 'pin-file': values['source-pin-file'] });
        }
        await tools.loggedInToken(core, values);
        const tokenId = await tools.findTokenId(core, values);
        const expected = str(values['expect-key']);
        const restored = await core.exclusive('key restore', () => restoreKeyFromFile(core.ctx, { tokenId, wkyPath, ...(expected !== undefined ? { expectedSpkiSha256: expected } : {}) }));
        const d = restored.description;
        out.result({
          tokenId, keyId: restored.key.id, label: restored.key.label, spkiSha256: restored.key.spkiSha256, domainKcv: d.domainKcv, journalKeyVouched: restored.journalKeyVouched,
          record: d.hasRecord, expectedBy: restored.expectedBy, cas: d.cas,
        }, () => [`Restored ${shown(backupSummary(d))}: the public key on the card is the backed-up one.`,
            `  Checked against ${restored.expectedBy === 'record' ? 'the backup\'s .custos.json' : restored.expectedBy === 'operator' ? 'the key you expected (--expect-key)' : `the key of CA ${d.cas.map((c) => shown(c.name)).join(', ')}`}.`,
            ...(restored.journalKeyVouched ? ['This token may now sign for the CA alone.'] : d.cas.length > 0
              ? ['Its journal key is not yet vouched for: restore with the source token present and named (--source-token), so this token may later sign for the CA alone.'] : []),
          ].join('\n'));
      });
    default:
      throw new CustosError('INPUT_INVALID', `Unknown command "${command}". Run "custos --help".`, {});
  }
}
