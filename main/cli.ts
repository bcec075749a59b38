/**
 * custos — the same core as the window, headless. Every command takes --json;
 * a failure prints its code and what to do, and exits non-zero.
 *
 *   custos tokens [--module PATH]
 *   custos key generate --token LABEL --type ec:P-384|rsa:3072 --label NAME
 *   custos key list --token LABEL
 *   custos ca init --token LABEL --key KEYLABEL --subject DN --name NAME [--profile root-ca] [--days N]
 *   custos ca list
 *   custos csr show FILE
 *   custos sign --ca NAME --csr FILE --profile ID --token LABEL [--days N] [--name SUBCA] [--subject DN] [--out DIR] [--yes]
 *   custos revoke --ca NAME --serial HEX --reason REASON [--invalidity-date ISO] [--yes]
 *   custos crl --ca NAME --token LABEL [--days N] [--idp URI] [--out DIR]
 *   custos export --ca NAME (--serial HEX | --chain) --format der|pem|p7b --out DIR
 *   custos journal verify [--head SEQ:HASH] | journal show [--last N]
 *   custos rehearse [--out DIR]
 *   custos dkek create|import|status, custos key backup|restore (main/cli/keydomain.ts)
 *   custos bundle signer|create|verify … (main/cli/bundle.ts)
 *   custos ceremony check FILE (main/cli/ceremony.ts)
 *
 * PINs come from --pin-env VAR, --pin-file FILE or a prompt; never from argv.
 */
import { parseArgs } from 'node:util';
import { CustosError } from './errors/index.ts';
import { createOutput, reportFailure } from './cli/output.ts';
import { runCommand, USAGE } from './cli/commands.ts';

const OPTIONS = {
  json: { type: 'boolean' },
  home: { type: 'string' },
  module: { type: 'string', multiple: true },
  'rehearsal-module': { type: 'string', multiple: true },
  operator: { type: 'string' },
  token: { type: 'string' },
  'token-serial': { type: 'string' },
  'token-id': { type: 'string' },
  'pin-env': { type: 'string' },
  'pin-file': { type: 'string' },
  'confirm-final-try': { type: 'boolean' },
  type: { type: 'string' },
  label: { type: 'string' },
  key: { type: 'string' },
  subject: { type: 'string' },
  name: { type: 'string' },
  profile: { type: 'string' },
  days: { type: 'string' },
  ca: { type: 'string' },
  csr: { type: 'string' },
  serial: { type: 'string' },
  reason: { type: 'string' },
  'invalidity-date': { type: 'string' },
  idp: { type: 'string' },
  format: { type: 'string', multiple: true },
  out: { type: 'string' },
  chain: { type: 'boolean' },
  'path-len': { type: 'string' },
  last: { type: 'string' },
  head: { type: 'string' },
  yes: { type: 'boolean' },
  'tbs-sha256': { type: 'string', multiple: true },
  'so-pin-env': { type: 'string' },
  'so-pin-file': { type: 'string' },
  'new-pin-env': { type: 'string' },
  'new-pin-file': { type: 'string' },
  // key domains (main/cli/keydomain.ts)
  fingerprint: { type: 'string' },
  'expect-kcv': { type: 'string' },
  'expect-key': { type: 'string' },
  'share-kcv': { type: 'string' },
  'password-env': { type: 'string' },
  'password-file': { type: 'string' },
  'password-shares-file': { type: 'string' },
  'pwd-shares-threshold': { type: 'string' },
  'pwd-shares-total': { type: 'string' },
  'source-token': { type: 'string' },
  'source-token-id': { type: 'string' },
  'source-pin-env': { type: 'string' },
  'source-pin-file': { type: 'string' },
  // custos bundle (main/cli/bundle.ts)
  include: { type: 'string', multiple: true },
  root: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  // custos quorum
  rehearsal: { type: 'boolean' },
  custodian: { type: 'string', multiple: true },
  file: { type: 'string' },
  for: { type: 'string' },
  total: { type: 'string' },
  required: { type: 'string' },
  'dkek-shares': { type: 'string' },
  'confirm-unattested': { type: 'boolean' },
  // custos ceremony run (main/cli/ceremony.ts): the folder on the removable medium
  media: { type: 'string' },
  // custos cvc
  request: { type: 'string' },
  certificate: { type: 'string' },
  issuer: { type: 'string' },
  holder: { type: 'string' },
  chr: { type: 'string' },
  car: { type: 'string' },
  auth: { type: 'string' },
  algorithm: { type: 'string' },
  'device-chain': { type: 'string' },
  generate: { type: 'string' },
  import: { type: 'boolean' },
  concat: { type: 'boolean' },
} as const;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    return reportFailure(new CustosError('INPUT_INVALID', `${(e as Error).message}. Run "custos --help".`, {}), argv.includes('--json'));
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    process.stdout.write(USAGE);
    return positionals.length === 0 && !values.help ? 2 : 0;
  }
  const out = createOutput(values.json ?? false);
  try {
    await runCommand(positionals, values, out);
    return 0;
  } catch (e) {
    return reportFailure(e, out.json);
  }
}

process.exitCode = await main(process.argv.slice(2));
