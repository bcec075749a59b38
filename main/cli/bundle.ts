/**
 * custos bundle: make a CA's bundle signer, write a signed publishing bundle
 * to a medium, and verify one where it arrives. `bundle verify` opens no
 * data directory and no token, so it runs on the online machine.
 *
 * The command table (commands.ts) lends the helpers that open the core and
 * log in to a token; this module takes them as values, not as an import,
 * so the table that imports it is not imported back.
 */
import { resolve } from 'node:path';
import { CustosError } from '../errors/index.ts';
import type { Custos } from '../custos.ts';
import type { KeySpec, Token } from '../hsm/token.ts';
import { requireCa } from '../ca/context.ts';
import { readBoundedFile } from '../exchange/files.ts';
import { fromPem, looksLikePem, PEM_LABEL } from '../pki/formats/index.ts';
import { createBundleSigner } from '../exchange/bundle-signer.ts';
import { createBundle } from '../exchange/bundle.ts';
import { bundleError, verifyBundle, type BundleReport } from '../exchange/bundle-verify.ts';
import { REHEARSAL_NOTICE } from '../exchange/bundle-manifest.ts';
import { shown, type Output } from './output.ts';
import { type CliValues, str, list } from './values.ts';

export const BUNDLE_USAGE = `  custos bundle signer --ca NAME --token LABEL [--key KEYLABEL | --type ec:P-256] [--label NAME] [--subject DN] [--days N]
                                                     make the CA's bundle signer: a key of its own on the token, certified by the CA
  custos bundle create --ca NAME --token LABEL --out DIR [--name FOLDER] [--include SERIAL …]
                                                     write a signed bundle (the certificates named, the chain, the latest CRL) into a new folder in DIR
  custos bundle verify DIR [--root CERT]             check a bundle with no token: signature, signer, chain (to CERT), every file
`;

/** What the command table lends: opening the core, and logging in to the token the options name. */
export interface CoreHelpers {
  withCore<T>(values: CliValues, out: Output, act: (core: Custos, out: Output) => Promise<T>): Promise<T>;
  loggedInToken(core: Custos, values: CliValues): Promise<Token>;
  findTokenId(core: Custos, values: CliValues): Promise<string>;
  parseKeyType(text: string): KeySpec;
  /** The option's value, or INPUT_INVALID naming it and what it is for. */
  need(values: CliValues, name: string, hint: string): string;
}

/** A root certificate as a person hands it over: PEM or DER. */
async function readRoot(path: string): Promise<Uint8Array> {
  const bytes = await readBoundedFile(path, 64 * 1024);
  const text = Buffer.from(bytes).toString('latin1');
  return looksLikePem(bytes) ? fromPem(text, PEM_LABEL.certificate) : bytes;
}

function reportText(report: BundleReport): string {
  const lines = [
    ...(report.rehearsal ? [`*** ${REHEARSAL_NOTICE} ***`] : []),
    `bundle ${shown(report.directory)}`,
    ...(report.ca ? [`  CA:      ${shown(report.ca.name)} (${shown(report.ca.subject)}), certificate SHA-256 ${report.ca.sha256}`] : []),
    ...(report.signer ? [`  signer:  ${shown(report.signer.subject)}, serial ${report.signer.serialHex}`] : []),
    ...(report.createdAt ? [`  made:    ${report.createdAt} by ${shown(report.operator ?? '')}, journal head ${report.journalHead ?? ''}`] : []),
    ...(report.rootSha256 ? [report.rootGiven ? `  root:    the one given, SHA-256 ${report.rootSha256}` : `  root:    SHA-256 ${report.rootSha256} (carried in the bundle: compare it with the root you trust, or give it with --root)`] : []),
    ...report.files.map((f) => `  ${f.status === 'ok' ? 'ok      ' : f.status.padEnd(8)} ${shown(f.name)}  ${f.bytes} bytes  SHA-256 ${f.sha256}`),
    ...report.extra.map((n) => `  extra    ${shown(n)}`),
  ];
  return lines.join('\n');
}

export async function bundleCommand(sub: string | undefined, positionals: readonly string[], values: CliValues, out: Output, core: CoreHelpers): Promise<void> {
  switch (sub) {
    case 'signer':
      return core.withCore(values, out, async (custos, out) => {
        const ca = requireCa(custos.ctx, core.need(values, 'ca', 'the CA whose bundles it signs'));
        const token = await core.loggedInToken(custos, values);
        const keyLabel = str(values.key);
        const key = keyLabel === undefined ? undefined : (await token.listKeys()).find((k) => k.label === keyLabel);
        if (keyLabel !== undefined && !key) throw new CustosError('KEY_NOT_FOUND', `${token.info.label} has no key labelled "${keyLabel}".`, { label: keyLabel });
        const days = str(values.days);
        if (days !== undefined && !/^\d+$/.test(days)) throw new CustosError('INPUT_INVALID', `--days takes a whole number, not "${days}".`, { option: 'days' });
        const issued = await createBundleSigner(custos.ctx, {
          caId: ca.id, tokenId: await core.findTokenId(custos, values),
          ...(key ? { keySpkiSha256: key.spkiSha256 } : {}),
          ...(str(values.type) ? { keySpec: core.parseKeyType(str(values.type)!) } : {}),
          ...(str(values.label) ? { label: str(values.label)! } : {}),
          ...(str(values.subject) ? { subject: str(values.subject)! } : {}),
          ...(days ? { validityDays: Number(days) } : {}),
        });
        out.result({ serialHex: issued.serialHex, subject: issued.subject, sha256: issued.sha256, notAfter: issued.notAfter, virtual: issued.virtual },
          () => `Bundle signer for "${shown(ca.name)}": ${shown(issued.subject)}, serial ${issued.serialHex}, valid until ${issued.notAfter}${issued.virtual ? ' [VIRTUAL]' : ''}\n  certificate SHA-256 ${issued.sha256}`);
      });
    case 'create':
      return core.withCore(values, out, async (custos, out) => {
        const ca = requireCa(custos.ctx, core.need(values, 'ca', 'the CA whose bundle to write'));
        const directory = resolve(core.need(values, 'out', 'the folder on the medium to write the bundle into'));
        // The signer's token: its key signs the manifest.
        await core.loggedInToken(custos, values);
        const result = await custos.exclusive('bundle', () => createBundle(custos.ctx, {
          caId: ca.id, directory, serials: list(values.include), ...(str(values.name) ? { name: str(values.name)! } : {}),
        }));
        out.result(result, () => [
          ...(result.rehearsal ? [`*** ${REHEARSAL_NOTICE} ***`] : []),
          `Bundle written: ${result.path}`,
          ...result.files.map((f) => `  ${shown(f.name)}  ${f.bytes} bytes  SHA-256 ${f.sha256}`),
          `  manifest signed by bundle signer serial ${result.signerSerial}; its SHA-256 ${result.manifestSha256}`,
        ].join('\n'));
      });
    case 'verify': {
      const dir = positionals[2];
      if (!dir) throw new CustosError('INPUT_INVALID', 'Give the bundle\'s folder: custos bundle verify DIR [--root CERT].', {});
      const rootPath = str(values.root);
      const report = await verifyBundle(resolve(dir), rootPath ? { rootDer: await readRoot(rootPath) } : {});
      const error = bundleError(report);
      if (error) {
        out.note(reportText(report));
        for (const p of report.problems) out.note(`  ${p.code}: ${p.message}`);
        throw error;
      }
      out.result(report, () => `${reportText(report)}\nBundle verified: ${report.files.length} files, each as signed; nothing missing or added.`);
      return;
    }
    default:
      throw new CustosError('INPUT_INVALID', `Unknown command "bundle ${sub ?? ''}": use bundle signer, bundle create or bundle verify.`, {});
  }
}
