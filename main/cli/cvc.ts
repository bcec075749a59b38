/**
 * `custos cvc …`: the CVC authority from the command line. Each command
 * reads its options, opens the core through the helpers commands.ts hands
 * it (so this module imports nothing of the command table), runs one act of
 * main/cvc and reports it. Signing shows the exact body and its SHA-256 and
 * asks before the token is used, as `custos sign` does.
 */
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { CustosError } from '../errors/index.ts';
import type { Custos } from '../custos.ts';
import type { KeySpec, Token } from '../hsm/token.ts';
import { readBoundedFile } from '../exchange/files.ts';
import { initCvca, makeCvcRequest, previewCvca, previewCvcCertificate, signCvcCertificate } from '../cvc/acts.ts';
import { generateAttestedCvcRequest } from '../cvc/card-request.ts';
import { checkCvcCertificates, importCvcCertificates, importCvcRequest, inspectCvcRequest, knownCertificates, MAX_CVC_FILE_BYTES } from '../cvc/import.ts';
import { exportCvcChain, exportCvcCertificate, exportCvcRequest } from '../cvc/export.ts';
import { cvcStateOf } from '../cvc/state.ts';
import { describeCvcBody, type CvcBodyView } from '../cvc/describe.ts';
import { resolvedKey } from '../cvc/keys.ts';
import type { CvcPlan } from '../cvc/plan.ts';
import { decodeTlvList } from '../pki/cvc/tlv.ts';
import { decodeCvCertificate } from '../pki/cvc/cvc.ts';
import { shown, type Output } from './output.ts';
import { type CliValues, str, need } from './values.ts';

export const CVC_USAGE = `
  custos cvc show FILE [--device-chain EF2F02] [--import]   show a CV request or certificate(s); --import keeps it
  custos cvc list                                          CVC authorities, requests and certificates
  custos cvc request --token LABEL (--key KEYLABEL --chr CHR [--car CAR] | --generate ec:P-256 --label NAME) [--out DIR]
  custos cvc init --token LABEL --key KEYLABEL --chr CHR [--profile cvca] [--days N] [--auth A,B] [--algorithm NAME] [--yes]
  custos cvc sign --issuer CHR (--request FILE|ID [--device-chain EF2F02] | --holder CHR) --profile ID [--chr CHR] [--days N] [--auth A,B] [--out DIR] [--yes]
  custos cvc export (--certificate CHR|ID [--chain [--concat]] | --request CHR|ID) --out DIR`;

/** What commands.ts lends: opening the core, the token a person named, the question before signing. */
export interface CliHelpers {
  readonly withCore: <T>(values: CliValues, out: Output, act: (core: Custos, out: Output) => Promise<T>) => Promise<T>;
  readonly loggedInToken: (core: Custos, values: CliValues) => Promise<Token>;
  readonly confirm: (values: CliValues, question: string) => Promise<void>;
  readonly parseKeyType: (text: string) => KeySpec;
  readonly findTokenId: (core: Custos, values: CliValues) => Promise<string>;
}

function days(values: CliValues): number | undefined {
  const v = str(values.days);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new CustosError('INPUT_INVALID', `--days takes a whole number, not "${v}".`, { option: 'days' });
  return Number(v);
}

function authorizations(values: CliValues): string[] | undefined {
  const v = str(values.auth);
  return v === undefined ? undefined : v.split(',').map((a) => a.trim()).filter(Boolean);
}

async function readCvcFile(path: string): Promise<Uint8Array> {
  return await readBoundedFile(resolve(path), MAX_CVC_FILE_BYTES);
}

export function bodyText(v: CvcBodyView): string {
  return [
    `  CHR:        ${shown(v.chr)}`,
    ...(v.car !== undefined ? [`  CAR:        ${shown(v.car)}`] : []),
    ...(v.chat ? [
      `  role:       ${v.chat.roleName} (${shown(v.chat.terminalTypeName)})`,
      `  CHAT:       ${v.chat.bitsHex}${v.chat.authorizations.length ? ` — ${v.chat.authorizations.join(', ')}` : ''}${v.chat.otherBits.length ? `; RFU bits ${v.chat.otherBits.join(', ')}` : ''}`,
    ] : []),
    ...(v.effectiveDate ? [`  valid:      ${v.effectiveDate} → ${v.expirationDate ?? ''}`] : []),
    `  key:        ${v.publicKey.description}, ${v.publicKey.algorithm}${v.publicKey.spkiSha256 ? ` (SHA-256 ${v.publicKey.spkiSha256.slice(0, 16)}…)` : ''}`,
    ...(v.extensions.length ? [`  extensions: ${v.extensions.join(', ')}`] : []),
  ].join('\n');
}

function planText(plan: CvcPlan): string {
  // In groups of four, as the window shows it and as the X.509 TBS hash is read aloud (tbsLine).
  return `${bodyText(plan.view)}\n  body SHA-256: ${plan.bodySha256.match(/.{1,4}/g)!.join(' ')}`;
}

/**
 * A 7F21 whose body carries a CHAT and dates is a certificate (a file may
 * hold several, a chain); one without them, or a 67, is a request
 * (TR-03110 part 3 §C.2).
 */
function isCertificateFile(bytes: Uint8Array): boolean {
  if (bytes[0] === 0x67) return false;
  const first = decodeTlvList(bytes)[0];
  if (first === undefined) return false;
  const body = decodeCvCertificate(first.raw).body;
  return body.chat !== undefined && body.effectiveDate !== undefined;
}

const ATTESTATION_WORDS: Record<string, string> = {
  cardcontact: 'attested by a SmartCard-HSM device chain to CardContact\'s SRCA',
  rehearsal: 'attested by a device chain to the REHEARSAL root (virtual card: not for production)',
  'self-issued': 'device certificate is self-issued: no root vouches for the device',
  'unknown-root': 'device chain ends at a root Custos does not know',
  authority: 'outer signature by a CV certificate this authority holds',
  'chain-missing': 'authenticated, but no device chain came with it: outer signature NOT checked (give --device-chain)',
  plain: 'plain request: possession of the key only',
};

async function show(core: Custos, values: CliValues, file: string, out: Output): Promise<void> {
  const bytes = await readCvcFile(file);
  const chainFile = str(values['device-chain']);
  const deviceChain = chainFile ? await readCvcFile(chainFile) : undefined;
  const keep = values.import === true;
  if (!isCertificateFile(bytes)) return showRequest();
  const known = knownCertificates(core.journal);
  const checked = checkCvcCertificates(bytes, known);
  if (keep) importCvcCertificates(core.journal, basename(file), bytes);
  const all = [...known, ...checked];
  const views = checked.map((cert) => describeCvcBody(cert.body, resolvedKey(cert, all)));
  out.result(views, () => views.map((v) => `CV certificate (signature verified${keep ? ', imported' : ''})\n${bodyText(v)}`).join('\n'));

  function showRequest(): void {
    const inspection = keep
      ? importCvcRequest(core.journal, basename(file), bytes, deviceChain).inspection
      : inspectCvcRequest(bytes, { ...(deviceChain ? { deviceChain } : {}), known: knownCertificates(core.journal) });
    const { request: _request, ...shownValue } = inspection;
    out.result(shownValue, () => [
      `CV request, ${inspection.kind} (inner signature verified${keep ? ', imported' : ''})`,
      bodyText(inspection.body),
      ...(inspection.outerCar ? [`  outer CAR:  ${shown(inspection.outerCar)}`] : []),
      `  attestation: ${ATTESTATION_WORDS[inspection.attestation]}${inspection.attestationPath.length ? ` (${inspection.attestationPath.map(shown).join(' → ')})` : ''}`,
      `  id:         ${inspection.id}`,
    ].join('\n'));
  }
}

export async function runCvcCommand(sub: string | undefined, rest: readonly string[], values: CliValues, out: Output, h: CliHelpers): Promise<void> {
  switch (sub) {
    case 'show': {
      const file = rest[0];
      if (!file) throw new CustosError('INPUT_INVALID', 'Give the file: custos cvc show FILE.', {});
      return h.withCore(values, out, (core, o) => show(core, values, file, o));
    }
    case 'list':
      return h.withCore(values, out, async (core) => {
        const state = cvcStateOf(core.journal);
        const certificates = [...state.certificates.values()].map((c) => ({ id: c.id, chr: c.chr, car: c.car, role: c.role, origin: c.origin, ...(c.recovered ? { recovered: true } : {}), effectiveDate: c.effectiveDate, expirationDate: c.expirationDate, virtual: c.virtual }));
        const requests = [...state.requests.values()].map((r) => ({ id: r.id, chr: r.chr, attestation: r.attestation, signed: r.signedCertificateId !== undefined }));
        out.result({ certificates, requests }, () => [
          'CV certificates:', ...certificates.map((c) => `  ${c.virtual ? '[VIRTUAL] ' : ''}${shown(c.chr)} ← ${shown(c.car)}  ${c.role}  ${c.effectiveDate} → ${c.expirationDate}  (${c.origin}${c.recovered ? ', recovered after an interrupted run' : ''})`),
          'CV requests:', ...requests.map((r) => `  ${shown(r.chr)}  ${r.attestation}${r.signed ? '  signed' : ''}  ${r.id.slice(0, 16)}…`),
        ].join('\n'));
      });
    case 'request':
      return h.withCore(values, out, async (core, o) => {
        const token = await h.loggedInToken(core, values);
        const tokenId = await h.findTokenId(core, values);
        const generate = str(values.generate);
        let record;
        if (generate) {
          record = (await core.exclusive('key generation', () => generateAttestedCvcRequest(core.ctx, tokenId, h.parseKeyType(generate), need(values, 'label', 'the new key\'s label')))).record;
        } else {
          const label = need(values, 'key', 'the label of the key on the token');
          const key = (await token.listKeys()).find((k) => k.label === label);
          if (!key) throw new CustosError('KEY_NOT_FOUND', `${token.info.label} holds no key labelled "${label}".`, { label });
          const raw = await makeCvcRequest(core.ctx, { tokenId, keySpkiSha256: key.spkiSha256, chr: need(values, 'chr', 'the holder reference (country, mnemonic, 5-digit sequence)'), ...(str(values.car) ? { car: str(values.car)! } : {}), ...(str(values.algorithm) ? { algorithm: str(values.algorithm)! } : {}) });
          record = importCvcRequest(core.journal, `${need(values, 'chr', '')}.cvreq`, raw).record;
        }
        const outDir = str(values.out);
        const exported = outDir ? await exportCvcRequest(core.ctx, { request: record.id, directory: resolve(outDir) }) : undefined;
        o.result({ requestId: record.id, chr: record.chr, attestation: record.attestation, ...(exported ? { file: exported.path } : {}) },
          () => `CV request ${shown(record.chr)} (${ATTESTATION_WORDS[record.attestation]})${exported ? `\nwritten to ${shown(exported.path)}` : ''}\nid ${record.id}`);
      });
    case 'init':
      return h.withCore(values, out, async (core, o) => {
        const token = await h.loggedInToken(core, values);
        const tokenId = await h.findTokenId(core, values);
        const label = need(values, 'key', 'the label of the CVCA key on the token');
        const key = (await token.listKeys()).find((k) => k.label === label);
        if (!key) throw new CustosError('KEY_NOT_FOUND', `${token.info.label} holds no key labelled "${label}".`, { label });
        const terms = {
          tokenId, keySpkiSha256: key.spkiSha256, chr: need(values, 'chr', 'the CVCA\'s holder reference, e.g. DECVCA00001'),
          ...(str(values.profile) ? { profileId: str(values.profile)! } : {}), ...(days(values) ? { validityDays: days(values)! } : {}),
          ...(authorizations(values) ? { authorizations: authorizations(values)! } : {}), ...(str(values.algorithm) ? { algorithm: str(values.algorithm)! } : {}),
        };
        const plan = await previewCvca(core.ctx, terms);
        o.note(`Self-signed CVCA to be signed on ${shown(token.info.label)}${token.info.virtual ? ' [VIRTUAL]' : ''}:\n${planText(plan)}${plan.findings.length ? `\n  lint: ${plan.findings.map((f) => f.message).join('; ')}` : ''}`);
        await h.confirm(values, 'Sign this CVCA certificate?');
        const record = await core.exclusive('CVCA creation', () => initCvca(core.ctx, { ...terms, effectiveDate: plan.body.effectiveDate!, bodySha256: plan.bodySha256 }));
        o.result({ certificateId: record.id, chr: record.chr }, () => `CVCA ${shown(record.chr)} made\nid ${record.id}`);
      });
    case 'sign':
      return h.withCore(values, out, async (core, o) => {
        const requestOption = str(values.request);
        let requestId: string | undefined;
        if (requestOption !== undefined && existsSync(requestOption)) {
          const chainFile = str(values['device-chain']);
          requestId = importCvcRequest(core.journal, basename(requestOption), await readCvcFile(requestOption), chainFile ? await readCvcFile(chainFile) : undefined).record.id;
        } else requestId = requestOption;
        const terms = {
          issuer: need(values, 'issuer', 'the CHR of the signing CVCA or DV'), profileId: need(values, 'profile', 'dv-domestic, dv-foreign, terminal-at, terminal-is, terminal-st or cvca-link'),
          ...(requestId ? { requestId } : {}), ...(str(values.holder) ? { holder: str(values.holder)! } : {}),
          ...(str(values.chr) ? { chr: str(values.chr)! } : {}), ...(days(values) ? { validityDays: days(values)! } : {}),
          ...(authorizations(values) ? { authorizations: authorizations(values)! } : {}),
        };
        const plan = previewCvcCertificate(core.ctx, terms);
        o.note(`CV certificate to be signed by ${shown(plan.issuer.chr)}:\n${planText(plan)}${plan.findings.length ? `\n  lint: ${plan.findings.map((f) => f.message).join('; ')}` : ''}`);
        await h.confirm(values, 'Sign this CV certificate?');
        await h.loggedInToken(core, values).catch((e: unknown) => {
          // The authority's key is found on any logged-in token: a token option is needed only to log one in.
          if (!(e instanceof CustosError && e.code === 'INPUT_INVALID')) throw e;
        });
        const record = await core.exclusive('CV signing', () => signCvcCertificate(core.ctx, { ...terms, effectiveDate: plan.body.effectiveDate!, bodySha256: plan.bodySha256 }));
        const outDir = str(values.out);
        const exported = outDir ? await exportCvcCertificate(core.ctx, { certificate: record.id, directory: resolve(outDir) }) : undefined;
        o.result({ certificateId: record.id, chr: record.chr, car: record.car, ...(exported ? { file: exported.path } : {}) },
          () => `CV certificate ${shown(record.chr)} signed by ${shown(record.car)}${exported ? `\nwritten to ${shown(exported.path)}` : ''}\nid ${record.id}`);
      });
    case 'export':
      return h.withCore(values, out, async (core, o) => {
        const directory = resolve(need(values, 'out', 'the folder to write to (a removable medium)'));
        const request = str(values.request);
        const exported = request !== undefined
          ? await exportCvcRequest(core.ctx, { request, directory })
          : values.chain === true
            ? await exportCvcChain(core.ctx, { certificate: need(values, 'certificate', 'the CHR or id of the certificate'), form: values.concat === true ? 'concatenation' : 'folder', directory })
            : await exportCvcCertificate(core.ctx, { certificate: need(values, 'certificate', 'the CHR or id of the certificate'), directory });
        o.result({ path: exported.path, files: exported.files }, () => `written: ${exported.files.map(shown).join(', ')}`);
      });
    default:
      throw new CustosError('INPUT_INVALID', `Unknown command "cvc ${sub ?? ''}". Commands:${CVC_USAGE}`, {});
  }
}

