/**
 * The CLI's commands: each parses its options, opens the core, runs one act
 * and reports it. The acts themselves live in main/ca and main/custos.ts.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { CustosError, isCustosError } from '../errors/index.ts';
import { Custos } from '../custos.ts';
import type { KeySpec, Token, TokenInfo } from '../hsm/token.ts';
import { tokenId as tokenIdOf } from '../hsm/registry.ts';
import { readBoundedFile } from '../exchange/files.ts';
import { MAX_CSR_FILE_BYTES, parseCsrFile } from '../pki/x509/csr.ts';
import { createRoot, previewRoot } from '../ca/root.ts';
import { importRequests } from '../ca/requests.ts';
import { issueCertificates, previewIssue, type IssueRequest } from '../ca/issue.ts';
import { planRevocation, revokeSerial } from '../ca/revoke.ts';
import { issueCrl, previewCrl } from '../ca/crl.ts';
import { sha256Hex } from '../ca/previews.ts';
import { reasonInWords } from '../api/reason-words.ts';
import { runCustodianCommand } from './custodian-commands.ts';
import { exportCertificate, exportChain, exportCrl } from '../ca/export.ts';
import { requireCa } from '../ca/context.ts';
import { CRL_REASONS, type CrlReason } from '../pki/x509/revocation.ts';
import { verifyJournalFile, JOURNAL_FILE } from '../journal/index.ts';
import { formatHead, parseHead } from '../journal/checkpoint.ts';
import { checkpointAfterReview, checkpointIfHeld, journalHeadText } from '../ca/journal-anchor.ts';
import { dataDir } from '../settings/data-dir.ts';
import { readPin } from './pin.ts';
import { shown, type Output } from './output.ts';
import { type CliValues, str, list, need } from './values.ts';
import { rehearse } from './rehearse.ts';
import { QUORUM_USAGE, runQuorumCommand } from './quorum.ts';
import { CVC_USAGE, runCvcCommand } from './cvc.ts';
import { isKeyDomainCommand, KEY_DOMAIN_USAGE, runKeyDomainCommand } from './keydomain.ts';
import { BUNDLE_USAGE, bundleCommand } from './bundle.ts';
import { CEREMONY_USAGE, ceremonyCommand } from './ceremony.ts';
import { TRANSCRIPT_USAGE, transcriptCommand } from './transcript.ts';
import { join } from 'node:path';
import { recoveredCaMark, recoveredCaNote } from './recovered-ca.ts';

export type { CliValues };

export const USAGE = `custos — offline CA for smart-card HSMs

  custos tokens [--module PATH]                      list tokens and their PIN state (no PIN needed)
  custos tokens accept --token-id ID                 accept a card no known root attests, so it may be used (journaled)
  custos key generate --token LABEL --type ec:P-384|rsa:3072 --label NAME
  custos key list --token LABEL
  custos ca init --token LABEL --key KEYLABEL --subject "C=DE, O=Example, CN=Example Root CA" --name NAME [--profile root-ca] [--days N] [--yes [--tbs-sha256 HEX]]
  custos ca list
  custos csr show FILE
  custos sign --ca NAME --csr FILE --profile ID --token LABEL [--days N] [--name SUBCA] [--subject DN] [--path-len N] [--out DIR] [--format pem] [--yes [--tbs-sha256 HEX …]]
  custos revoke --ca NAME --serial HEX --reason REASON [--invalidity-date ISO-8601] [--yes]
  custos crl --ca NAME --token LABEL [--days N] [--idp URI] [--out DIR] [--format der|pem] [--yes [--tbs-sha256 HEX]]
  custos key csr --token LABEL --key KEYLABEL --subject DN --out DIR     a request for a token key (a subordinate CA's), signed by the token
  custos pin status|change|unblock --token LABEL [--new-pin-env VAR | --new-pin-file FILE] [--so-pin-env VAR | --so-pin-file FILE] [--confirm-final-try]
  custos journal export --format jsonl|html --out DIR    the journal as JSON lines, or a printable page
  custos export --ca NAME (--serial HEX | --chain) --format der|pem|p7b --out DIR
  custos journal verify [--head SEQ:HASH]            --head: a head printed or exported earlier, which the journal must still reach
  custos journal checkpoint --token LABEL [--yes]    sign a checkpoint over entries that lie under none, after checking them
  custos journal show [--last N]
  custos rehearse [--out DIR]                        full rehearsal on a rehearsal token, no hardware needed
${QUORUM_USAGE}
CV certificates (EAC: CVCA, DV, terminals):${CVC_USAGE}

${BUNDLE_USAGE}${CEREMONY_USAGE}${TRANSCRIPT_USAGE}
Options for every command:
  --home DIR          data directory (default: $CUSTOS_HOME or the per-user data folder)
  --module PATH       a PKCS#11 module to load (repeatable); also "pkcs11Modules" in <home>/config.json
  --operator NAME     who is acting (recorded in the journal)
  --pin-env VAR | --pin-file FILE    where the PIN comes from; otherwise you are asked
  --token LABEL | --token-serial SERIAL | --token-id ID    which token (ids, shown by custos tokens, tell apart cards of one serial)
  --json              machine-readable output
  --tbs-sha256 HEX    sign only the previewed TBS with this SHA-256, as a preview printed it (a script binds to what was reviewed)
Revocation reasons: ${CRL_REASONS.join(', ')}
${KEY_DOMAIN_USAGE}`;

function intOption(values: CliValues, name: string): number | undefined {
  const v = str(values[name]);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new CustosError('INPUT_INVALID', `--${name} takes a whole number, not "${v}".`, { option: name });
  return Number(v);
}

export function parseKeyType(text: string): KeySpec {
  const m = /^(ec|rsa):(.+)$/i.exec(text.trim());
  if (m?.[1]?.toLowerCase() === 'ec' && ['P-256', 'P-384', 'P-521'].includes(m[2]!.toUpperCase())) return { kind: 'ec', curve: m[2]!.toUpperCase() as 'P-256' };
  if (m?.[1]?.toLowerCase() === 'rsa' && ['2048', '3072', '4096'].includes(m[2]!)) return { kind: 'rsa', bits: Number(m[2]) as 2048 };
  throw new CustosError('KEY_SPEC_UNSUPPORTED', `--type ${text} is not supported: use ec:P-256, ec:P-384, ec:P-521, rsa:2048, rsa:3072 or rsa:4096.`, { type: text });
}

function openCore(values: CliValues): Custos {
  const home = str(values.home);
  return Custos.open({
    ...(home ? { dataDir: resolve(home) } : {}),
    pkcs11Modules: list(values.module),
    rehearsalModules: list(values['rehearsal-module']),
    ...(str(values.operator) ? { operator: str(values.operator)! } : {}),
  });
}

/**
 * The output of an act: when the act wrote to the journal, its result ends
 * with the journal head (SEQ:HASH, also `journalHead` in a JSON object), a
 * value to write down or keep with the artifacts: custos journal verify
 * --head later proves the journal was not cut back before it.
 */
function withJournalHead(out: Output, core: Custos): Output {
  const seqAtStart = core.journal.lastSeq;
  return {
    json: out.json,
    note: (text) => out.note(text),
    result(value, text) {
      if (core.journal.lastSeq === seqAtStart) return out.result(value, text);
      const head = journalHeadText(core.ctx);
      const unanchored = core.ctx.anchors?.summary().unanchored;
      const withHead = typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...value, journalHead: head } : value;
      out.result(withHead, () => `${text()}\njournal head ${head}${unanchored === undefined ? '' : ` (${unanchored} ${unanchored === 1 ? 'entry' : 'entries'} not yet under a signed checkpoint)`}`);
    },
  };
}

async function withCore<T>(values: CliValues, out: Output, act: (core: Custos, out: Output) => Promise<T>): Promise<T> {
  const core = openCore(values);
  const torn = core.ctx.journal.tornTailAtOpen;
  if (torn) out.note(`warning: the journal's last line was cut short by a crash or power loss; its ${torn.bytes} bytes were set aside in ${torn.sideFile} and the journal goes on from the entry before it.`);
  for (const a of core.abandoned) {
    out.note(`warning: journal entry #${a.seq} (${a.kind}, ${a.time}) was begun and never finished by an earlier run; it is now marked abandoned. Check the token and outputs of that act.`);
  }
  for (const r of core.ctx.journal.recoveredAtOpen) {
    out.note(`note: journal entry #${r.seq} records what the token signed for entry #${r.intent ?? '?'} (${r.kind.replace(/\.recovered$/, '')}), which an earlier run could not record (sha256 ${String(r.data.sha256)}).`);
    const madeCa = recoveredCaNote(core.state, r.seq);
    if (madeCa) out.note(madeCa);
  }
  try {
    return await act(core, withJournalHead(out, core));
  } finally {
    await core.close();
  }
}

/** The id of the one token the options name; TOKEN_AMBIGUOUS when several match (cards may share a label and a serial). */
export async function findTokenId(core: Custos, values: CliValues): Promise<string> {
  const label = str(values.token);
  const serial = str(values['token-serial']);
  const id = str(values['token-id']);
  if (!label && !serial && !id) throw new CustosError('INPUT_INVALID', '--token LABEL (or --token-serial SERIAL, or --token-id ID) is required: run "custos tokens" to see them.', { option: 'token' });
  const tokens = await core.tokens.list();
  const matches = tokens.filter((t) => (id === undefined || t.id === id)
    && (label === undefined || t.info.label === label) && (serial === undefined || t.info.serial === serial));
  if (matches.length === 0) {
    const asked = [label ? `labelled "${label}"` : '', serial ? `with serial ${serial}` : '', id ? `with id ${id}` : ''].filter(Boolean).join(' ');
    throw new CustosError('TOKEN_NOT_FOUND', `No token ${asked}. Present: ${tokens.map((t) => `${t.info.label} (${t.id})`).join(', ') || 'none (is --module set?)'}.`,
      { label: label ?? null, serial: serial ?? null, tokenId: id ?? null });
  }
  if (matches.length > 1) {
    // Two cards may show one label and one serial (every card of one open-source implementation does): only the id tells them apart.
    throw new CustosError('TOKEN_AMBIGUOUS', `${matches.length} tokens match: ${matches.map((t) => t.id).join(', ')}. Name one with --token-id.`,
      { label: label ?? null, serial: serial ?? null });
  }
  return matches[0]!.id;
}

function tokenLine(id: string, info: TokenInfo): string {
  if (info.error !== undefined) return `${shown(info.label)}  cannot be opened: ${info.error.code} ${shown(info.error.message)}\n  id ${shown(id)}`;
  const pin = info.pinState;
  const state = pin.locked ? 'PIN BLOCKED' : pin.finalTry ? 'PIN: FINAL TRY' : pin.countLow ? 'PIN: wrong entries since last login' : pin.initialized ? 'PIN ok' : 'PIN not set';
  const attestation = info.attestation !== 'none' ? ''
    : info.accepted === true ? '  device not attested by a known root (accepted)' : '  device not attested by a known root: accept it with custos tokens accept before use';
  return `${info.virtual ? '[VIRTUAL] ' : ''}${shown(info.label)}  serial ${shown(info.serial)}  ${shown(info.model)} (${shown(info.manufacturer)})  ${state}${attestation}\n  id ${shown(id)}`;
}

async function loggedInToken(core: Custos, values: CliValues): Promise<Token> {
  const id = await findTokenId(core, values);
  const token = await core.tokens.open(id);
  if (token.info.loggedIn) return token;
  const pin = await readPin({ pinEnv: str(values['pin-env']), pinFile: str(values['pin-file']) }, `PIN for ${token.info.label}: `);
  return core.login(id, pin, values['confirm-final-try'] === true);
}

async function confirm(values: CliValues, question: string, act = 'sign', done = 'signed'): Promise<void> {
  if (values.yes === true) return;
  if (!process.stdin.isTTY) throw new CustosError('CONFIRMATION_REQUIRED', `Review the preview above, then run again with --yes to ${act}.`, {});
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(`${question} [y/N] `);
  rl.close();
  if (!/^y(es)?$/i.test(answer.trim())) throw new CustosError('CANCELLED', `Nothing was ${done}.`, {});
}

function previewText(p: { serialHex: string; subject: { text: string }; issuer: { text: string }; validity: { notBefore: string; notAfter: string; days: number }; signatureAlgorithm: { name: string }; subjectPublicKey: { description: string; spkiSha256: string }; extensions: readonly { name: string; critical: boolean; value: unknown }[] }): string {
  return [
    `  subject:   ${shown(p.subject.text)}`,
    `  issuer:    ${shown(p.issuer.text)}`,
    `  serial:    ${p.serialHex}`,
    `  validity:  ${p.validity.notBefore} → ${p.validity.notAfter} (${p.validity.days} days)`,
    `  key:       ${p.subjectPublicKey.description} (SHA-256 ${p.subjectPublicKey.spkiSha256.slice(0, 16)}…)`,
    `  signature: ${p.signatureAlgorithm.name}`,
    ...p.extensions.map((e) => `  ${e.critical ? '[critical] ' : ''}${e.name}: ${JSON.stringify(e.value)}`),
  ].join('\n');
}

/** The TBS hash in groups of four, as custodians read it aloud and compare it with the window's. */
export function tbsLine(tbsSha256: string): string {
  return `  TBS SHA-256: ${tbsSha256.match(/.{1,4}/g)!.join(' ')}`;
}

/** The --tbs-sha256 values given, lower-case; INPUT_INVALID for one that is not a SHA-256. */
function boundHashes(values: CliValues): string[] {
  return list(values['tbs-sha256']).map((h) => {
    const hex = h.replace(/\s+/g, '').toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new CustosError('INPUT_INVALID', `--tbs-sha256 ${h} is not a SHA-256: give the 64 hexadecimal digits the preview printed.`, { option: 'tbs-sha256' });
    return hex;
  });
}

export async function runCommand(positionals: readonly string[], values: CliValues, out: Output): Promise<void> {
  const [command, sub] = positionals;
  if (command === 'cvc') return runCvcCommand(sub, positionals.slice(2), values, out, { withCore, loggedInToken, confirm, parseKeyType, findTokenId });
  if (isKeyDomainCommand(`${command} ${sub ?? ''}`.trim())) return runKeyDomainCommand(`${command} ${sub}`, values, out, { withCore, loggedInToken, findTokenId });
  switch (`${command} ${sub ?? ''}`.trim()) {
    case 'tokens':
      return withCore(values, out, async (core) => {
        const tokens = await core.tokens.list();
        out.result(tokens.map((t) => ({ id: t.id, ...t.info })), () => tokens.length === 0
          ? 'No tokens. Give the PKCS#11 module with --module PATH (e.g. /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so).'
          : tokens.map(({ id, info }) => tokenLine(id, info)).join('\n'));
      });
    case 'tokens accept':
      return withCore(values, out, async (core) => {
        const token = await core.acceptUnattested(await findTokenId(core, values));
        const info = token.info;
        out.result({ id: tokenIdOf(info), ...info }, () => `Accepted ${shown(info.label)} (serial ${shown(info.serial)}, device key SHA-256 ${info.deviceKeySha256 ?? ''}): it is not attested by a known root, and may now be used. Recorded in the journal.`);
      });
    case 'key generate':
      return withCore(values, out, async (core, out) => {
        const spec = parseKeyType(need(values, 'type', 'the key type, e.g. ec:P-384'));
        const label = need(values, 'label', 'a name for the key on the token');
        const token = await loggedInToken(core, values);
        out.note(`Generating ${spec.kind === 'ec' ? `EC ${spec.curve}` : `RSA ${spec.bits}`} on ${token.info.label}…`);
        const key = await core.generateKey(await findTokenId(core, values), spec, label);
        out.result({ id: key.id, label: key.label, spec: key.spec, spkiSha256: key.spkiSha256 }, () => `Key "${key.label}" generated: SHA-256 of its public key ${key.spkiSha256}`);
      });
    case 'key list':
      return withCore(values, out, async (core) => {
        const token = await loggedInToken(core, values);
        const keys = await token.listKeys();
        out.result(keys.map((k) => ({ id: k.id, label: k.label, spec: k.spec, spkiSha256: k.spkiSha256 })),
          () => keys.map((k) => `${shown(k.label)}  ${k.spec.kind === 'ec' ? k.spec.curve : `RSA ${k.spec.bits}`}  ${k.spkiSha256}`).join('\n') || 'No keys.');
      });
    case 'ca init':
      return withCore(values, out, async (core, out) => {
        const token = await loggedInToken(core, values);
        const keyLabel = need(values, 'key', 'the label of the key on the token (custos key list)');
        const key = (await token.listKeys()).find((k) => k.label === keyLabel);
        if (!key) throw new CustosError('KEY_NOT_FOUND', `The token has no key labelled "${keyLabel}": generate one with "custos key generate".`, { label: keyLabel });
        const days = intOption(values, 'days');
        const terms = {
          tokenId: await findTokenId(core, values), keySpkiSha256: key.spkiSha256, profileId: str(values.profile) ?? 'root-ca',
          subject: need(values, 'subject', 'the root\'s name, e.g. "C=DE, O=Example, CN=Example Root CA"'), ...(days ? { validityDays: days } : {}),
        };
        const name = need(values, 'name', 'a short name for the CA');
        // With --tbs-sha256 the root an earlier run previewed is signed (or refused); else one previewed now, shown, and confirmed.
        const [bound] = boundHashes(values);
        let tbsSha256 = bound;
        if (tbsSha256 === undefined) {
          const shownPreview = await previewRoot(core.ctx, terms);
          tbsSha256 = shownPreview.tbsSha256;
          out.note(`About to create root CA "${shown(name)}":\n${previewText(shownPreview.plan.preview)}\n${tbsLine(tbsSha256)}`);
          for (const f of shownPreview.plan.findings) out.note(`  lint ${f.severity}: ${shown(f.message)}`);
          out.note(`  (kept for an hour: run again with --yes --tbs-sha256 ${tbsSha256} to sign exactly this one)`);
          await confirm(values, 'Sign this root certificate?');
        }
        const ca = await createRoot(core.ctx, { ...terms, name, tbsSha256 });
        out.result({ id: ca.id, name: ca.name, subject: ca.subject, notAfter: ca.notAfter }, () => `Root CA "${shown(ca.name)}" created: ${shown(ca.subject)}, valid until ${ca.notAfter}\n  certificate SHA-256 ${ca.id}`);
      });
    case 'ca list':
      return withCore(values, out, async (core) => {
        const cas = [...core.state.cas.values()];
        out.result(cas.map((c) => ({ id: c.id, name: c.name, kind: c.kind, subject: c.subject, notAfter: c.notAfter, ...(c.recovered ? { recovered: { ...c.recovered } } : {}) })),
          () => cas.map((c) => `${shown(c.name)}  ${c.kind}  ${shown(c.subject)}  until ${c.notAfter}${recoveredCaMark(c)}`).join('\n') || 'No CAs yet.');
      });
    case 'csr show': {
      const file = positionals[2] ?? str(values.csr);
      if (!file) throw new CustosError('INPUT_INVALID', 'Give the CSR file: custos csr show FILE.', {});
      const csrs = parseCsrFile(await readBoundedFile(file, MAX_CSR_FILE_BYTES));
      out.result(csrs.map((c) => ({ subject: c.subject.text, key: c.keySpec, spkiSha256: c.spkiSha256, subjectAltNames: c.subjectAltNames, requestedExtensions: c.requestedExtensions, signatureAlgorithm: c.signatureAlgorithm.name, sha256: c.sha256 })),
        () => csrs.map((c, i) => [
          `request ${i + 1}: ${shown(c.subject.text)}`,
          `  key: ${c.keySpec.kind === 'rsa' ? `RSA ${c.keySpec.bits}` : c.keySpec.kind === 'ec' ? `EC ${c.keySpec.curve}` : c.keySpec.type}  signature: ${c.signatureAlgorithm.name} (verified)`,
          ...(c.subjectAltNames.dns.length ? [`  DNS: ${c.subjectAltNames.dns.map(shown).join(', ')}`] : []),
          ...(c.subjectAltNames.ip.length ? [`  IP: ${c.subjectAltNames.ip.map(shown).join(', ')}`] : []),
          ...c.requestedExtensions.map((e) => `  requests ${e.name}${e.critical ? ' (critical)' : ''}`),
        ].join('\n')).join('\n'));
      return;
    }
    case 'sign':
      return withCore(values, out, async (core, out) => {
        const caName = need(values, 'ca', 'the issuing CA (custos ca list)');
        const file = need(values, 'csr', 'the request file (PEM or DER)');
        const profileId = need(values, 'profile', 'the certificate profile, e.g. tls-server or subordinate-ca');
        const ca = requireCa(core.ctx, caName);
        const token = await loggedInToken(core, values);
        const imported = importRequests(core.ctx, file, await readBoundedFile(file, MAX_CSR_FILE_BYTES));
        const days = intOption(values, 'days');
        const pathLen = intOption(values, 'path-len');
        // Every certificate is previewed and the batch confirmed once; then exactly the previewed
        // certificates are signed, as one batch on the token's session.
        const bound = boundHashes(values);
        if (bound.length > 0 && bound.length !== imported.length) {
          throw new CustosError('INPUT_INVALID', `${imported.length} requests were read but ${bound.length} --tbs-sha256 given: give one per request, in the file's order.`, { option: 'tbs-sha256' });
        }
        const planOne = ({ record, csr }: (typeof imported)[number], i: number): IssueRequest => {
          const terms = {
            caId: ca.id, requestId: record.id, csr, profileId, ...(days ? { validityDays: days } : {}),
            ...(str(values.subject) ? { subject: str(values.subject)! } : {}), ...(str(values.name) ? { name: str(values.name)! } : {}),
            ...(pathLen !== undefined ? { pathLen } : {}),
          };
          // Bound to a preview an earlier run printed: that one is planned again and signed only if it is the same bytes.
          if (bound[i] !== undefined) return { ...terms, tbsSha256: bound[i]! } as IssueRequest;
          const plan = previewIssue(core.ctx, terms);
          out.note(`About to sign with CA "${shown(ca.name)}":\n${previewText(plan.preview)}\n${tbsLine(sha256Hex(plan.tbsDer))}`);
          for (const d of plan.droppedRequestExtensions) out.note(`  not taken from the request: ${d.name} (${d.reason})`);
          for (const f of plan.findings) out.note(`  lint ${f.severity}: ${shown(f.message)}`);
          return { ...terms, plan } as IssueRequest;
        };
        let planned: IssueRequest[];
        try {
          planned = imported.map(planOne);
        } catch (e) {
          // A preview is kept on the data directory's disk before anything is signed: a full or failing
          // disk stops the batch there, and the operator is told that none of it was signed.
          if (isCustosError(e) && e.code.startsWith('MEDIA_')) out.note(`0 of ${imported.length} were signed and recorded before the failure.`);
          throw e;
        }
        if (bound.length === 0) {
          out.note(`  (kept for an hour: run again with --yes ${planned.map((p) => `--tbs-sha256 ${p.plan ? sha256Hex(p.plan.tbsDer) : ''}`).join(' ')} to sign exactly these)`);
          await confirm(values, planned.length === 1 ? 'Sign this certificate?' : `Sign these ${planned.length} certificates?`);
        }
        const results: { serialHex: string; subject: string; sha256: string; isCa: boolean; files: string[] }[] = [];
        let issuedAll;
        // What this batch signed and recorded, counted as it is recorded: a request signed by an earlier
        // run has a serial in the state too, and must not be counted as signed now.
        const signedNow: string[] = [];
        const stopCounting = core.ctx.journal.onAppend((e) => {
          if (e.kind === 'certificate.issue.done' && typeof e.data.serialHex === 'string') signedNow.push(e.data.serialHex);
        });
        try {
          issuedAll = await issueCertificates(core.ctx, planned);
        } catch (e) {
          const kept = isCustosError(e) && typeof e.details.keptFor === 'number' ? ' The certificate the token signed last is kept and is recorded when Custos next starts.' : '';
          out.note(`${signedNow.length} of ${planned.length} were signed and recorded before the failure${signedNow.length ? ` (serials ${signedNow.join(', ')}); export them with custos export` : ''}.${kept}`);
          throw e;
        } finally {
          stopCounting();
        }
        for (const issued of issuedAll) {
          const written = [];
          const formats = list(values.format);
          if (str(values.out)) {
            for (const format of formats.length ? formats : ['pem']) {
              written.push((await exportCertificate(core.ctx, { caId: ca.id, serialHex: issued.serialHex, format: format as 'pem', directory: resolve(str(values.out)!) })).path);
            }
          }
          results.push({ serialHex: issued.serialHex, subject: issued.subject, sha256: issued.sha256, isCa: issued.isCa, files: written });
        }
        // The exports after the batch's checkpoint are anchored too.
        if (str(values.out)) await checkpointIfHeld(core.ctx, token);
        out.result(results, () => results.map((r) => `Signed ${shown(r.subject)}, serial ${r.serialHex}${r.isCa ? ' (a new subordinate CA)' : ''}${r.files.length ? `\n  written: ${r.files.join(', ')}` : ''}`).join('\n'));
      });
    case 'revoke':
      return withCore(values, out, async (core, out) => {
        const reason = (str(values.reason) ?? 'unspecified') as CrlReason;
        if (!CRL_REASONS.includes(reason)) throw new CustosError('INPUT_INVALID', `--reason ${reason} is not a CRL reason: use one of ${CRL_REASONS.join(', ')}.`, { option: 'reason' });
        const inv = str(values['invalidity-date']);
        const invalidityDate = inv ? new Date(inv) : undefined;
        if (invalidityDate && Number.isNaN(invalidityDate.getTime())) throw new CustosError('INPUT_INVALID', `--invalidity-date ${inv} is not an ISO 8601 date.`, { option: 'invalidity-date' });
        const req = { caId: need(values, 'ca', 'the issuing CA'), serialHex: need(values, 'serial', 'the serial in hex'), reason, ...(invalidityDate ? { invalidityDate } : {}) };
        // A revocation cannot be taken back: it is shown, and confirmed like a signature, before it is recorded.
        const plan = planRevocation(core.ctx, req);
        out.note([
          `About to revoke, under "${shown(plan.caName)}":`,
          `  subject:   ${shown(plan.issued.subject)}${plan.isCa ? '  (a CA certificate: whatever it issued is no longer trusted either)' : ''}`,
          `  serial:    ${plan.issued.serialHex}`,
          `  reason:    ${reasonInWords(reason)}`,
          ...(invalidityDate ? [`  key last trusted: ${invalidityDate.toISOString()}`] : []),
          '  It is listed from the next CRL on and cannot be taken back.',
        ].join('\n'));
        await confirm(values, 'Revoke this certificate?', 'revoke it', 'revoked');
        const { issued, revocation } = revokeSerial(core.ctx, req);
        out.result(revocation, () => `Revoked ${shown(issued.subject)}, serial ${issued.serialHex} (${reasonInWords(revocation.reason)}). Issue a CRL to publish it: custos crl --ca …`);
      });
    case 'crl':
      return withCore(values, out, async (core, out) => {
        const ca = requireCa(core.ctx, need(values, 'ca', 'the CA whose CRL to issue'));
        const token = await loggedInToken(core, values);
        const days = intOption(values, 'days');
        const terms = { caId: ca.id, ...(days ? { nextUpdateDays: days } : {}), ...(str(values.idp) ? { issuingDistributionPointUri: str(values.idp)! } : {}) };
        const [bound] = boundHashes(values);
        let tbsSha256 = bound;
        if (tbsSha256 === undefined) {
          const plan = previewCrl(core.ctx, terms);
          tbsSha256 = plan.tbsSha256;
          out.note([
            `About to issue CRL #${plan.crlNumber} of "${shown(ca.name)}":`,
            `  this update: ${plan.thisUpdate.toISOString()}`,
            `  next update: ${plan.nextUpdate.toISOString()}${plan.clipped ? ' (cut back to the CA certificate\'s notAfter)' : ''}`,
            `  entries:     ${plan.entries.length}`,
            ...plan.entries.map((e) => `    ${e.serialHex}  ${reasonInWords(e.reason ?? 'unspecified')}  revoked ${e.revocationDate.toISOString()}`),
            tbsLine(tbsSha256),
            `  (kept for an hour: run again with --yes --tbs-sha256 ${tbsSha256} to sign exactly this one)`,
          ].join('\n'));
          await confirm(values, 'Sign this CRL?');
        }
        const { record, clipped } = await issueCrl(core.ctx, { ...terms, tbsSha256 });
        if (clipped) out.note(`note: nextUpdate was cut back to the CA certificate's notAfter (${ca.notAfter}).`);
        const written: string[] = [];
        const formats = list(values.format);
        if (str(values.out)) {
          for (const format of formats.length ? formats : ['der']) {
            written.push((await exportCrl(core.ctx, { caId: ca.id, crlNumber: record.crlNumber, format: format as 'der', directory: resolve(str(values.out)!) })).path);
          }
          await checkpointIfHeld(core.ctx, token);
        }
        out.result({ ...record, files: written }, () => `CRL #${record.crlNumber} of "${shown(ca.name)}": ${record.entries} revoked, next update ${record.nextUpdate}${written.length ? `\n  written: ${written.join(', ')}` : ''}`);
      });
    case 'export':
      return withCore(values, out, async (core, out) => {
        const caName = need(values, 'ca', 'the CA');
        const dir = resolve(need(values, 'out', 'the folder to write into (e.g. the USB stick)'));
        const formats = list(values.format);
        const files: { path: string; bytes: Uint8Array }[] = [];
        for (const format of formats.length ? formats : ['pem']) {
          if (!['der', 'pem', 'p7b'].includes(format)) throw new CustosError('INPUT_INVALID', `--format ${format}: use der, pem or p7b.`, { option: 'format' });
          files.push(values.chain === true
            ? await exportChain(core.ctx, { caId: caName, format: format === 'p7b' ? 'p7b' : 'pem', directory: dir })
            : await exportCertificate(core.ctx, { caId: caName, serialHex: need(values, 'serial', 'the certificate serial, or --chain'), format: format as 'der', directory: dir }));
        }
        out.result(files.map((f) => ({ path: f.path, bytes: f.bytes.length })), () => files.map((f) => `written: ${f.path}`).join('\n'));
      });
    case 'journal verify': {
      const home = str(values.home) ? resolve(str(values.home)!) : dataDir();
      const headText = str(values.head);
      const head = headText === undefined ? undefined : parseHead(headText);
      if (headText !== undefined && !head) throw new CustosError('INPUT_INVALID', `--head ${headText} is not a journal head: give it as SEQ:HASH, as an act's last line or an export's journalHead shows it.`, { option: 'head' });
      const result = verifyJournalFile(join(home, JOURNAL_FILE), head ? { head } : {});
      if (!result.ok) {
        throw new CustosError(result.code ?? 'JOURNAL_TAMPERED', `The journal fails verification at entry #${result.firstBadSeq}: ${result.reason}.${result.code === 'JOURNAL_UNANCHORED' ? '' : ' Restore it from a copy and examine what changed.'}`,
          { firstBadSeq: result.firstBadSeq ?? null, reason: result.reason ?? null, entries: result.entries });
      }
      const anchors = result.anchors;
      out.result(result, () => [
        `Journal intact: ${result.entries} entries, each chained to the one before.`,
        ...(anchors ? [`${anchors.checkpoints} signed checkpoints by ${anchors.journalKeys} journal keys; ${anchors.unanchored} ${anchors.unanchored === 1 ? 'entry' : 'entries'} not yet under a signed checkpoint.`] : []),
        ...(head ? [`It still reaches the head ${formatHead(head)}.`] : []),
        ...(result.head ? [`journal head ${formatHead(result.head)}`] : []),
      ].join('\n'));
      return;
    }
    case 'journal checkpoint':
      return withCore(values, out, async (core, out) => {
        const token = await loggedInToken(core, values);
        const { unanchored, uncoveredActs } = core.ctx.anchors!.summary();
        out.note(`${unanchored} entries lie after the last signed checkpoint${uncoveredActs.length ? `, among them CA signatures in entries ${uncoveredActs.map((s) => `#${s}`).join(', ')}` : ''}.`
          + ' Check them against what was done (custos journal show): a checkpoint vouches for every entry before it.');
        await confirm(values, 'Sign a checkpoint over them?');
        const entry = await checkpointAfterReview(core.ctx, token);
        out.result({ seq: entry.seq, headSeq: entry.data.headSeq }, () => `Checkpoint #${entry.seq} signed over entry #${String(entry.data.headSeq)} by the journal key on ${token.info.label}.`);
      });
    case 'journal show': {
      const home = str(values.home) ? resolve(str(values.home)!) : dataDir();
      const lines = readFileSync(join(home, JOURNAL_FILE), 'utf8').trim().split('\n').filter(Boolean);
      const last = intOption(values, 'last') ?? 20;
      const entries = lines.slice(-last).map((l) => JSON.parse(l) as { seq: number; time: string; kind: string; operator: string; token?: { label: string; virtual: boolean } });
      out.result(entries, () => entries.map((e) => `#${e.seq} ${shown(e.time)} ${shown(e.kind)} by ${shown(e.operator)}${e.token ? ` on ${shown(e.token.label)}${e.token.virtual ? ' [VIRTUAL]' : ''}` : ''}`).join('\n'));
      return;
    }
    case 'rehearse':
      return rehearse(values, out);
    case 'quorum':
    case 'quorum init':
    case 'quorum enrol':
    case 'quorum register':
    case 'quorum status':
    case 'quorum auth':
      return runQuorumCommand(sub, values, out);
    case 'key csr':
    case 'pin status':
    case 'pin change':
    case 'pin unblock':
    case 'journal export':
      return withCore(values, out, (core, out) => runCustodianCommand(`${command} ${sub}`, core, values, out, { findTokenId, loggedInToken, need }));
    case 'bundle signer':
    case 'bundle create':
    case 'bundle verify':
      return bundleCommand(sub, positionals, values, out, { withCore, loggedInToken, findTokenId, parseKeyType, need });
    case 'ceremony check':
    case 'ceremony run':
    case 'ceremony status':
    case 'ceremony abandon':
      return ceremonyCommand(sub, positionals, values, out, withCore);
    case 'transcript make':
    case 'transcript verify':
      return transcriptCommand(sub, positionals, values, out, withCore);
    default:
      throw new CustosError('INPUT_INVALID', `Unknown command "${positionals.join(' ')}". Run "custos --help".`, {});
  }
}
