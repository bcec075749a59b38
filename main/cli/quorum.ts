/**
 * custos quorum init|enrol|register|status|auth — the custodian quorum from
 * the command line (main/quorum/quorum.ts does the acts). A CLI run holds its
 * tokens for that run only, and closing a SmartCard-HSM logs it out: `auth`
 * proves the custodians can unlock the HSM, and the authentication is gone
 * when the command ends.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CustosError } from '../errors/index.ts';
import { Custos } from '../custos.ts';
import { writeNewFile } from '../fs/atomic-file.ts';
import {
  authenticateCustodian, enrolCustodian, initQuorum, previewRegistration, quorumStatus, registerCustodian, type QuorumStatus,
} from '../quorum/quorum.ts';
import { readPin } from './pin.ts';
import { shown, type Output } from './output.ts';
import { type CliValues, str, list, need } from './values.ts';

/** A registration file is a few hundred bytes; anything much larger is not one. */
const MAX_FILE_BYTES = 16 * 1024;

export const QUORUM_USAGE = `  custos quorum status --token HSM                   custodian quorum: mode, "k of m authenticated (n registered)", who is registered
  custos quorum init --token HSM --total N --required M [--dkek-shares K] --so-pin-env VAR [--yes]
                                                     erase the HSM and set it up for the PIN and M of N custodians
  custos quorum enrol --token CUSTODIAN [--for HSM] --out FILE     make the custodian's key; write the sc-hsm-tool registration file
  custos quorum register --token HSM --file FILE [--confirm-unattested] [--custodian LABEL ...]
  custos quorum auth --token HSM --custodian LABEL [--custodian LABEL ...]    each custodian presents their token and PIN
  (quorum commands: --rehearsal works on the rehearsal tokens in <home>/rehearsal-tokens)
`;

function count(values: CliValues, name: string): number {
  const v = need(values, name, 'a whole number');
  if (!/^\d{1,2}$/.test(v)) throw new CustosError('INPUT_INVALID', `--${name} takes a whole number from 1 to 90, not "${v}".`, { option: name });
  return Number(v);
}

async function openQuorumCore(values: CliValues): Promise<Custos> {
  const home = str(values.home);
  const options = { ...(home ? { dataDir: resolve(home) } : {}), ...(str(values.operator) ? { operator: str(values.operator)! } : {}) };
  return values.rehearsal === true ? await Custos.openRehearsal(options) : Custos.open({ ...options, pkcs11Modules: list(values.module) });
}

/** The one token with this label (or --token-id); TOKEN_AMBIGUOUS when labels repeat. */
async function tokenByLabel(core: Custos, label: string, what: string): Promise<string> {
  const tokens = await core.tokens.list();
  const matches = tokens.filter((t) => t.id === label || t.info.label === label);
  if (matches.length === 0) {
    throw new CustosError('TOKEN_NOT_FOUND', `No ${what} "${label}". Present: ${tokens.map((t) => `${t.info.label} (${t.id})`).join(', ') || 'none'}.`, { label });
  }
  if (matches.length > 1) throw new CustosError('TOKEN_AMBIGUOUS', `${matches.length} tokens are labelled "${label}": name one by its id (${matches.map((t) => t.id).join(', ')}).`, { label });
  return matches[0]!.id;
}

function statusText(s: QuorumStatus): string {
  const q = s.quorum;
  return [
    `${shown(s.label)} (${shown(s.serial)}): ${s.summary}`,
    ...(q !== undefined ? [`  mode: ${q.mode}${q.protecting ? ' (quorum-protected: the PIN alone unlocks nothing)' : ''}`] : []),
    ...(q !== undefined && q.custodians.length > 0 ? [`  authenticated now: ${q.custodians.map((c) => `${shown(c.chr)} (key ${c.keySha256.slice(0, 16)}…)`).join(', ')}`] : []),
    ...(s.onCard !== undefined ? [`  registered (as the card lists them): ${s.onCard.map((c) => `${shown(c.chr)}${c.authenticated ? ' (authenticated)' : ''}`).join(', ') || 'none'}`] : []),
    s.registered.length === 0 ? '  registered (journal): none recorded' : '  registered (journal):',
    ...s.registered.map((r) => `    ${shown(r.chr)}  device ${shown(r.deviceChr)}  ${r.attestation === 'none' ? 'NOT ATTESTED (confirmed by the operator)' : `attested (${r.attestation})`}  key ${r.keySha256.slice(0, 16)}…${r.recovered === true ? '  (registration interrupted; found on the card and recorded later)' : ''}`),
  ].join('\n');
}

/** Each custodian in turn presents their token and types their own PIN. */
async function collect(core: Custos, hsmId: string, custodians: readonly string[], values: CliValues, out: Output): Promise<QuorumStatus | undefined> {
  let status: QuorumStatus | undefined;
  for (const label of custodians) {
    const id = await tokenByLabel(core, label, 'custodian token');
    const pin = await readPin({ pinEnv: str(values['pin-env']), pinFile: str(values['pin-file']) }, `PIN for ${label} (the custodian types it): `);
    status = await authenticateCustodian(core, hsmId, id, pin, { confirmFinalTry: values['confirm-final-try'] === true });
    out.note(`${label}: ${status.summary}`);
  }
  return status;
}

export async function runQuorumCommand(sub: string | undefined, values: CliValues, out: Output): Promise<void> {
  const core = await openQuorumCore(values);
  try {
    const hsmLabel = (): string => need(values, 'token', 'the HSM (custos tokens lists them)');
    switch (sub) {
      case 'status': {
        const s = await quorumStatus(core, await tokenByLabel(core, hsmLabel(), 'HSM'));
        out.result(s, () => statusText(s));
        return;
      }
      case 'init': {
        const hsmId = await tokenByLabel(core, hsmLabel(), 'HSM');
        const total = count(values, 'total');
        const required = count(values, 'required');
        if (values.yes !== true) throw new CustosError('CONFIRMATION_REQUIRED', `quorum init erases every key and object on ${hsmLabel()}: run again with --yes to go ahead.`, {});
        const soPin = await readPin({ pinEnv: need(values, 'so-pin-env', 'the environment variable holding the 16-hex-digit SO-PIN') }, 'SO-PIN: ');
        const pin = await readPin({ pinEnv: str(values['pin-env']), pinFile: str(values['pin-file']) }, 'New user PIN for the HSM: ');
        const dkek = str(values['dkek-shares']);
        const s = await initQuorum(core, hsmId, { soPin, pin, total, required, ...(dkek !== undefined ? { dkekShares: Number(dkek) } : {}) });
        out.result(s, () => statusText(s));
        return;
      }
      case 'enrol': {
        const custodianId = await tokenByLabel(core, hsmLabel(), 'custodian token');
        const forLabel = str(values.for);
        const file = resolve(need(values, 'out', 'where to write the registration file'));
        const pin = await readPin({ pinEnv: str(values['pin-env']), pinFile: str(values['pin-file']) }, 'Custodian PIN: ');
        const { file: bytes, candidate } = await enrolCustodian(core, custodianId, pin, {
          ...(forLabel !== undefined ? { forTokenId: await tokenByLabel(core, forLabel, 'HSM') } : {}), confirmFinalTry: values['confirm-final-try'] === true,
        });
        await writeNewFile(file, bytes);
        const { request: _request, ...shownCandidate } = candidate;
        out.result({ file, ...shownCandidate }, () => `Registration file written to ${shown(file)} (the format sc-hsm-tool --export-for-pub-key-auth writes)\n  key ${shown(candidate.chr)} on ${candidate.curve}, SHA-256 ${candidate.keySha256}\n  device ${shown(candidate.deviceChr)}, ${candidate.attestation === 'none' ? 'NOT ATTESTED' : `attested (${candidate.attestation})`}`);
        return;
      }
      case 'register': {
        const hsmId = await tokenByLabel(core, hsmLabel(), 'HSM');
        const path = need(values, 'file', 'the registration file a custodian exported');
        let bytes: Uint8Array;
        try {
          bytes = new Uint8Array(readFileSync(path));
        } catch {
          throw new CustosError('FILE_NOT_FOUND', `Cannot read ${path}.`, { path });
        }
        if (bytes.length > MAX_FILE_BYTES) throw new CustosError('FILE_TOO_LARGE', `${path} is ${bytes.length} bytes: not a registration file.`, { path });
        const preview = await previewRegistration(core, hsmId, bytes);
        const c = preview.candidate;
        out.note(`Custodian key ${shown(c.chr)} on ${c.curve} (SHA-256 ${c.keySha256.slice(0, 16)}…), device ${shown(c.deviceChr)}: ${preview.attested ? `attested (${c.attestation})` : 'NOT ATTESTED'}`);
        await collect(core, hsmId, list(values.custodian), values, out);
        const s = await registerCustodian(core, hsmId, bytes, { confirmUnattested: values['confirm-unattested'] === true });
        out.result(s, () => statusText(s));
        return;
      }
      case 'auth': {
        const hsmId = await tokenByLabel(core, hsmLabel(), 'HSM');
        const custodians = list(values.custodian);
        if (custodians.length === 0) throw new CustosError('INPUT_INVALID', '--custodian LABEL is required, once per custodian who presents a token.', { option: 'custodian' });
        await collect(core, hsmId, custodians, values, out);
        const s = await quorumStatus(core, hsmId);
        out.result(s, () => `${statusText(s)}\n(the authentication ends with this command: the HSM is logged out when Custos lets it go)`);
        return;
      }
      default:
        throw new CustosError('INPUT_INVALID', `Unknown quorum command "${sub ?? ''}": use init, enrol, register, status or auth.`, {});
    }
  } finally {
    await core.close();
  }
}
