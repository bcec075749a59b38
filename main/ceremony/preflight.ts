/**
 * The pre-flight: the desk check (check-script.ts) and then, with the tokens
 * and the medium in the room, everything that can be known before step one.
 * The HSM the ceremony runs on is present; every existing CA a step names
 * has its key on that HSM; a step that needs a key domain finds it in the
 * state it needs; a step that reads or writes the medium finds it (and the
 * one request it is to sign); and every certificate and CRL the ceremony
 * will sign is built as its act would build it (the same plan functions)
 * and linted on those exact TBS bytes. Any finding stops the ceremony
 * before `ceremony.begin`, each with its own code. Nothing here writes to
 * a token or to the journal.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CustosError, isCustosError } from '../errors/index.ts';
import type { Custos } from '../custos.ts';
import type { KeySpec } from '../hsm/token.ts';
import type { ListedToken } from '../hsm/registry.ts';
import { domainStatus } from '../ca/key-domain.ts';
import { readBackup } from '../ca/key-backup-act.ts';
import { planIssue } from '../ca/issue.ts';
import { planCrl } from '../ca/crl.ts';
import { parseSubject } from '../ca/subject.ts';
import { profileFor } from '../ca/context.ts';
import { planRootCertificate } from '../pki/x509/issue.ts';
import { MAX_CSR_FILE_BYTES, parseCsrFile, type CsrInfo } from '../pki/x509/csr.ts';
import { readBoundedFile } from '../exchange/files.ts';
import { listRemovableMedia, type RemovableMedium } from '../exchange/removable-media.ts';
import { newSerial } from '../pki/x509/serial.ts';
import { checkScriptInDataDir } from './check-script.ts';
import type { ScriptFinding } from './load-script.ts';
import type { Script, Step } from './script-schema.ts';

/** Where the ceremony runs: the HSM it names, the folder on the medium, and whether every token is a rehearsal token. */
export interface CeremonySetting {
  /** The id of the HSM the ceremony's keys live on (or the root is made on). */
  readonly hsmTokenId?: string;
  /** The folder on the removable medium that steps read from and write to. */
  readonly mediaDir?: string;
  /** Media the operator's system lists (default: listRemovableMedia()); tests give their own. */
  readonly media?: () => Promise<readonly RemovableMedium[]>;
}

/** The acts that need the ceremony's HSM. */
const NEEDS_HSM = new Set(['root.create', 'request.sign', 'crl.issue', 'bundle.create', 'key.backup', 'key.restore', 'dkek.import', 'quorum.auth']);

/** Names of the files a request is carried in. */
export const REQUEST_FILE = /\.(csr|req|p10|pem|der)$/i;

function needsHsm(step: Step): boolean {
  if (NEEDS_HSM.has(step.action.act)) return true;
  return step.action.act === 'check' && ['dkek.kcv', 'tokens.present'].includes(step.action.params.check);
}

function needsMedium(step: Step): boolean {
  const { action } = step;
  return action.act === 'request.sign' || action.act === 'bundle.create' || action.act === 'key.backup' || action.act === 'key.restore'
    || (action.act === 'check' && (action.params.check === 'media.removable' || action.params.check === 'bundle.verify'));
}

/** The one request on the medium a request.sign step signs: REQUEST_NOT_ON_MEDIUM when there is none or more than one. */
export async function requestOnMedium(mediaDir: string): Promise<{ path: string; name: string; bytes: Uint8Array; csr: CsrInfo }> {
  const names = (await readdir(mediaDir)).filter((n) => REQUEST_FILE.test(n)).sort();
  if (names.length !== 1) {
    throw new CustosError('CEREMONY_REQUEST_MISSING', names.length === 0
      ? `The medium ${mediaDir} holds no request file (.csr, .req, .p10, .pem or .der): put the subordinate's request on it.`
      : `The medium ${mediaDir} holds ${names.length} request files (${names.join(', ')}): a ceremony signs exactly the one request it was prepared for; take the others off.`, { mediaDir, files: names });
  }
  const path = join(mediaDir, names[0]!);
  const bytes = await readBoundedFile(path, MAX_CSR_FILE_BYTES);
  const csrs = parseCsrFile(bytes);
  if (csrs.length !== 1) {
    throw new CustosError('CEREMONY_REQUEST_MISSING', `${path} holds ${csrs.length} requests: a ceremony step signs one.`, { path });
  }
  return { path, name: names[0]!, bytes, csr: csrs[0]! };
}

/** The token a step names (by its label or id) among those in the room: undefined when it is not there; TOKEN_AMBIGUOUS when the label is on two. */
export async function tokenInRoom(core: Custos, name: string): Promise<ListedToken | undefined> {
  const matches = (await core.tokens.list()).filter((t) => t.id === name || t.info.label === name);
  if (matches.length > 1) throw new CustosError('TOKEN_AMBIGUOUS', `${matches.length} tokens are labelled "${name}": the script names one by its id (${matches.map((t) => t.id).join(', ')}).`, { label: name });
  return matches[0];
}

/** The .wky files on the medium whose record names this key. */
async function backupsOnMedium(mediaDir: string, spkiSha256: string): Promise<string[]> {
  const names = await readdir(mediaDir).catch(() => [] as string[]);
  const found: string[] = [];
  for (const name of names.filter((n) => n.endsWith('.wky')).sort()) {
    const metadata = await readBackup(join(mediaDir, name)).then((b) => b.metadata, () => undefined);
    if (metadata?.spkiSha256 === spkiSha256) found.push(name);
  }
  return found;
}

/** A key type as a script writes it (the schema admits only ec:P-256|384|521 and rsa:2048|3072|4096). */
export function keySpecOf(text: string): KeySpec {
  const [kind, size] = text.split(':') as [string, string];
  return kind === 'ec' ? { kind: 'ec', curve: size as 'P-256' } : { kind: 'rsa', bits: Number(size) as 2048 };
}

/**
 * A root's certificate before its key exists: planned with a throwaway
 * software key of the planned type, in memory only. What this checks is
 * everything lint checks that does not depend on the key's value — the
 * profile's extensions, the subject as written, validity, the algorithm the
 * key type gives, the serial's form. What it cannot check is the real key
 * (its SPKI, and the key identifiers made from it) and the signature: those
 * exist only once the step generates the key, and the act plans and lints
 * the certificate again on the real key before the token signs.
 */
function throwawaySpki(spec: KeySpec): Uint8Array {
  const pair = spec.kind === 'ec'
    ? generateKeyPairSync('ec', { namedCurve: { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' }[spec.curve]! })
    : generateKeyPairSync('rsa', { modulusLength: spec.bits });
  return new Uint8Array(pair.publicKey.export({ type: 'spki', format: 'der' }));
}

export async function preflight(core: Custos, script: Script, setting: CeremonySetting): Promise<ScriptFinding[]> {
  const ctx = core.ctx;
  const findings: ScriptFinding[] = [...checkScriptInDataDir(script, ctx)];
  const at = (step: Step, field: string, code: ScriptFinding['code'], message: string): void => {
    findings.push({ code, step: step.id, field, message: `Step "${step.id}": ${message}` });
  };
  const caByName = (name: string) => [...ctx.state.cas.values()].find((c) => c.name === name);

  // The HSM: present, and holding the keys of the CAs the steps name.
  const tokens = await core.tokens.list();
  const hsm = setting.hsmTokenId === undefined ? undefined : tokens.find((t) => t.id === setting.hsmTokenId);
  const firstNeedingHsm = script.steps.find(needsHsm);
  if (firstNeedingHsm && !hsm) {
    at(firstNeedingHsm, 'token', 'CEREMONY_TOKEN_MISSING', setting.hsmTokenId === undefined
      ? 'it needs the ceremony\'s HSM, and none was named: name the HSM the keys live on.'
      : `the HSM ${setting.hsmTokenId} is not present. Present: ${tokens.map((t) => `${t.info.label} (${t.id})`).join(', ') || 'none'}.`);
  }
  let dkek: Awaited<ReturnType<typeof domainStatus>> | undefined;
  const dkekOf = async (): Promise<typeof dkek> => {
    if (dkek === undefined && hsm) dkek = await domainStatus(ctx, hsm.id).catch(() => undefined);
    return dkek;
  };

  let media: readonly RemovableMedium[] | undefined;
  const firstNeedingMedium = script.steps.find(needsMedium);
  if (firstNeedingMedium) {
    const dir = setting.mediaDir;
    const isDir = dir === undefined ? false : await stat(dir).then((s) => s.isDirectory(), () => false);
    if (!isDir) {
      at(firstNeedingMedium, 'media', 'CEREMONY_MEDIA_MISSING', dir === undefined ? 'it reads or writes the removable medium, and none was named.' : `the medium ${dir} is not there: insert it and name the folder on it.`);
    } else if (!core.rehearsalOnly) {
      // In a rehearsal any folder stands for the medium; for real, it must be on a medium the system lists as removable.
      media = await (setting.media ?? (() => listRemovableMedia()))();
      const on = media.find((m) => dir === m.mountPoint || dir!.startsWith(`${m.mountPoint}/`));
      if (!on) at(firstNeedingMedium, 'media', 'CEREMONY_MEDIA_MISSING', `${dir} is on no removable medium the system lists (${media.map((m) => m.mountPoint).join(', ') || 'none'}).`);
    }
  }

  // A secondary HSM a step names: present, a SmartCard-HSM, in the ceremony HSM's key domain (or about to be, by an earlier step's shares).
  const secondaries = new Map<string, { token?: ListedToken; domain?: Awaited<ReturnType<typeof domainStatus>>; notScHsm?: boolean }>();
  const secondaryOf = async (step: Step, name: string) => {
    let found = secondaries.get(name);
    if (found === undefined) {
      const token = await tokenInRoom(core, name).catch((e: unknown) => { if (isCustosError(e)) { at(step, 'action.params.token', e.code, e.message); return undefined; } throw e; });
      let domain: Awaited<ReturnType<typeof domainStatus>> | undefined;
      let notScHsm = false;
      if (token) domain = await domainStatus(ctx, token.id).catch((e: unknown) => { if (isCustosError(e) && e.code === 'KEY_DOMAIN_UNSUPPORTED') notScHsm = true; return undefined; });
      found = { ...(token ? { token } : {}), ...(domain ? { domain } : {}), notScHsm };
      secondaries.set(name, found);
      if (!token) {
        at(step, 'action.params.token', 'CEREMONY_TOKEN_MISSING', `the HSM "${name}" is not present. Present: ${tokens.map((t) => `${t.info.label} (${t.id})`).join(', ') || 'none'}.`);
      }
    }
    return found;
  };
  /** An earlier step of the script imports shares into this token (undefined: the ceremony's HSM), which the domain's check then finds complete. */
  const importedEarlier = (step: Step, name: string | undefined): boolean => script.steps.slice(0, script.steps.indexOf(step))
    .some((s) => s.action.act === 'dkek.import' && s.action.params.token === name);
  async function sameDomain(step: Step, name: string, secondary: { token?: ListedToken; domain?: Awaited<ReturnType<typeof domainStatus>>; notScHsm?: boolean }, pendingOk: boolean): Promise<void> {
    const { token, domain } = secondary;
    if (!token) return;
    if (secondary.notScHsm) { at(step, 'action.params.token', 'CEREMONY_DKEK_STATE', `${token.info.label} is not a SmartCard-HSM: it has no key domain to restore a key into.`); return; }
    if (!domain?.configured) { at(step, 'action.params.token', 'CEREMONY_DKEK_STATE', `${token.info.label} has no key domain (it was initialized without DKEK shares): re-initialize it with the custodians' number of shares.`); return; }
    const primary = await dkekOf();
    if (!domain.complete) {
      if (!pendingOk && !importedEarlier(step, name)) at(step, 'action.params.token', 'CEREMONY_DKEK_STATE', `${token.info.label}'s key domain waits for ${domain.outstandingShares} of ${domain.totalShares} shares, and no earlier step imports them.`);
      return;
    }
    if (primary?.complete && primary.kcv !== domain.kcv) {
      at(step, 'action.params.token', 'KCV_MISMATCH', `${token.info.label} is of key domain ${domain.kcv}, not the ${primary.kcv} of ${hsm?.info.label ?? 'the ceremony\'s HSM'}: it holds other custodians' shares, and no key of this domain can be restored into it.`);
    }
  }
  async function secondaryDomainChecks(step: Step, name: string, shares: number): Promise<void> {
    const secondary = await secondaryOf(step, name);
    const d = secondary.domain;
    // A secondary already complete in the primary's domain has nothing to import: the step shows its KCV (sameDomain refuses another domain).
    if (secondary.token && d?.configured && !d.complete && d.outstandingShares !== shares) {
      at(step, 'action.params.shares', 'CEREMONY_DKEK_STATE', `${shares} shares are to be imported, but ${secondary.token.info.label} waits for ${d.outstandingShares} of ${d.totalShares}.`);
    }
    await sameDomain(step, name, secondary, true);
  }
  async function restoreChecks(step: Step, name: string | undefined, ca: ReturnType<typeof caByName>): Promise<void> {
    const secondary = name === undefined ? { ...(hsm ? { token: hsm } : {}), domain: await dkekOf() } : await secondaryOf(step, name);
    if (name !== undefined) await sameDomain(step, name, secondary, false);
    // The secondary must not hold the key already: a restore would be refused half-way through the ceremony.
    if (ca && secondary.token) {
      const there = await core.tokens.open(secondary.token.id).then((t) => t.findKey(ca.keySpkiSha256)).catch(() => undefined);
      if (there) at(step, name === undefined ? 'action.params.ca' : 'action.params.token', 'KEY_ALREADY_PRESENT', `${secondary.token.info.label} already holds the key of CA "${ca.name}" (SHA-256 ${ca.keySpkiSha256.slice(0, 16)}…): there is nothing to restore into it.`);
    }
  }

  for (const step of script.steps) {
    const { action } = step;
    const caName = 'ca' in action.params ? action.params.ca : undefined;
    const ca = caName === undefined ? undefined : caByName(caName);
    if (ca && hsm && action.act !== 'root.create') {
      // The key is looked up on the HSM where the HSM shows its keys; a quorum-protected HSM shows none before the quorum, and is then known by the serial the CA was made on.
      const found = await core.tokens.open(hsm.id).then((t) => t.findKey(ca.keySpkiSha256)).catch(() => undefined);
      const sameHsm = ca.token?.serial !== undefined && ca.token.serial === hsm.info.serial;
      if (!found && !sameHsm) at(step, 'action.params.ca', 'CEREMONY_KEY_MISSING', `the key of CA "${ca.name}" (SHA-256 ${ca.keySpkiSha256.slice(0, 16)}…) is not on ${hsm.info.label}: insert the HSM that holds it.`);
    }
    if (action.act === 'dkek.import' && action.params.token !== undefined) {
      await secondaryDomainChecks(step, action.params.token, action.params.shares);
    } else if (action.act === 'key.backup' && hsm) {
      const d = await dkekOf();
      if (!d?.complete) at(step, 'action', 'CEREMONY_DKEK_STATE', `${hsm.info.label}'s key domain is ${d?.configured ? 'not complete' : 'not configured'}: a key is backed up only under a complete domain.`);
      // A backup of this key already on the medium: the act never overwrites a file, and would stop half-way through the ceremony.
      const onMedium = ca && setting.mediaDir !== undefined ? await backupsOnMedium(setting.mediaDir, ca.keySpkiSha256) : [];
      if (onMedium.length > 0) at(step, 'media', 'FILE_EXISTS', `the medium already holds a backup of the key of CA "${ca!.name}" (${onMedium.join(', ')}): take it off, or use another medium.`);
    } else if (action.act === 'key.restore') {
      await restoreChecks(step, action.params.token, ca);
    } else if (hsm && (action.act === 'dkek.import' || (action.act === 'check' && action.params.check === 'dkek.kcv'))) {
      const d = await dkekOf();
      if (!d?.configured) at(step, 'action', 'CEREMONY_DKEK_STATE', `${hsm.info.label} has no key domain (it was initialized without DKEK shares).`);
      else if (action.act === 'dkek.import' && d.outstandingShares !== action.params.shares && !(d.complete && d.totalShares === action.params.shares)) {
        at(step, 'action.params.shares', 'CEREMONY_DKEK_STATE', `${action.params.shares} shares are to be imported, but ${hsm.info.label} waits for ${d.outstandingShares} of ${d.totalShares}.`);
      } else if (action.act === 'check' && !d.complete && !importedEarlier(step, undefined)) at(step, 'action', 'CEREMONY_DKEK_STATE', `the key domain of ${hsm.info.label} is not complete: ${d.outstandingShares} of ${d.totalShares} shares are still to be imported.`);
    }
    try {
      if (action.act === 'root.create') {
        const spec = keySpecOf(action.params.key);
        planRootCertificate({
          profile: profileFor(ctx, action.params.profile), subject: parseSubject(action.params.subject), signerSpki: throwawaySpki(spec), spec,
          serial: newSerial(() => false), now: ctx.now(), ...(action.params.days ? { validityDays: action.params.days } : {}),
        });
      } else if (action.act === 'request.sign' && ca && setting.mediaDir !== undefined) {
        const { csr } = await requestOnMedium(setting.mediaDir);
        planIssue(ctx, { caId: ca.id, requestId: 'preflight', profileId: action.params.profile, ...(action.params.days ? { validityDays: action.params.days } : {}) }, csr);
      } else if (action.act === 'crl.issue' && ca) {
        // A CRL of a root made earlier in this ceremony cannot be built before that root's certificate exists; it has no entries,
        // its only terms (days within the root's end) are checked at the desk, and issueCrl plans it again before the token signs.
        planCrl(ctx, { caId: ca.id, ...(action.params.days ? { nextUpdateDays: action.params.days } : {}) });
      }
    } catch (e) {
      if (!isCustosError(e)) throw e;
      if (e.code === 'LINT_FAILED') at(step, 'action.params', 'CEREMONY_LINT_FINDING', `what it would sign fails the lint: ${e.message}`);
      else if (e.code === 'CEREMONY_REQUEST_MISSING') at(step, 'media', 'CEREMONY_REQUEST_MISSING', e.message);
      else if (e.code.startsWith('CSR_')) at(step, 'media', e.code, e.message);
      // Desk findings (profile, validity, key type) are reported once, by checkScript.
      else if (!findings.some((f) => f.step === step.id)) at(step, 'action.params', 'CEREMONY_LINT_FINDING', `what it would sign cannot be built: ${e.code}: ${e.message}`);
    }
  }
  return findings;
}
