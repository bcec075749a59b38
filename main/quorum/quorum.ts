/**
 * The custodian quorum as custodians and the operator reach it (issue 16,
 * docs/quorum.md): set a CA HSM up in the protecting mode, enrol a
 * custodian's token, register the custodian on the HSM after a host-side
 * check, authenticate custodians one at a time on the HSM's held connection,
 * and read the status. Every step that changes something is journaled; the
 * count shown is always the card's.
 */
import { CustosError, isCustosError } from '../errors/index.ts';
import type { Journal } from '../journal/index.ts';
import type { TokenRegistry } from '../hsm/registry.ts';
import { tokenRecord, type CustodianApproval, type QuorumInfo, type Token } from '../hsm/token.ts';
import { ScHsmToken } from '../hsm/sc-hsm/token.ts';
import {
  cardCustodian, decodeRegistrationFile, encodeRegistrationFile, examineCustodianKey, PROTECTING_OPTIONS, type CustodianAuthenticator, type CustodianCandidate,
} from '../hsm/sc-hsm/pka.ts';
import type { Secret } from '../secret.ts';

import { CUSTODIAN_KEY_LABEL } from './custodian-key.ts';

export { CUSTODIAN_KEY_LABEL };

/** What the quorum acts need of the core (main/custos.ts): the journal, the tokens, and a journaled PIN login. */
export interface QuorumCore {
  readonly journal: Journal;
  readonly tokens: TokenRegistry;
  login(tokenId: string, pin: Secret, confirmFinalTry?: boolean): Promise<Token>;
}

export const QUORUM_INIT = 'quorum.init';
export const QUORUM_ENROL = 'quorum.enrol';
export const QUORUM_REGISTER = 'quorum.register';
export const QUORUM_AUTHENTICATE = 'quorum.authenticate';

/** A custodian registered on an HSM, as the journal recorded it. */
export interface RegisteredCustodian {
  readonly chr: string;
  readonly keySha256: string;
  readonly deviceChr: string;
  readonly attestation: string;
  readonly unattestedConfirmed: boolean;
  readonly seq: number;
  /** Its registration was interrupted (the run was killed) and found finished on the card afterwards. */
  readonly recovered?: boolean;
}

export interface QuorumStatus {
  readonly tokenId: string;
  readonly label: string;
  readonly serial: string;
  readonly quorum?: QuorumInfo;
  /** "k of m authenticated (n registered)", or why there is no quorum. */
  readonly summary: string;
  readonly registered: readonly RegisteredCustodian[];
  /** The registered keys as the card itself lists them, where it can (pico family, virtual card): CHR and whether it authenticated now. */
  readonly onCard?: readonly { readonly chr: string; readonly authenticated: boolean }[];
}

async function hsmToken(core: QuorumCore, tokenId: string): Promise<ScHsmToken> {
  const token = await core.tokens.open(tokenId);
  if (!(token instanceof ScHsmToken)) {
    throw new CustosError('PKA_NOT_CONFIGURED', `${token.info.label} is not a SmartCard-HSM: a custodian quorum needs one.`, { tokenId });
  }
  return token;
}

export function quorumSummary(q: QuorumInfo | undefined): string {
  if (q === undefined) return 'no custodian quorum (PIN only)';
  const counts = `${q.authenticated} of ${q.required} authenticated (${q.registered} registered)`;
  if (q.mode === 'pin-or-quorum') return `${counts}; NOT protecting: the PIN alone also unlocks this HSM`;
  if (q.mode === 'unknown') return `${counts}; NOT shown as protecting: the card does not state whether the PIN alone unlocks it`;
  return counts;
}

/** The custodians the journal records as registered on the HSM with this device key, since it was last initialized. */
export function registeredCustodians(core: QuorumCore, deviceKeySha256: string | undefined): RegisteredCustodian[] {
  const out: RegisteredCustodian[] = [];
  for (const e of core.journal.read()) {
    if (e.token?.deviceKeySha256 !== deviceKeySha256) continue;
    // Acts are journaled as <kind>.intent then <kind>.done: only a completed one counts.
    if (e.kind === `${QUORUM_INIT}.done`) out.length = 0;
    if (e.kind !== `${QUORUM_REGISTER}.done` && e.kind !== `${QUORUM_REGISTER}.recovered`) continue;
    const d = e.data;
    out.push({
      chr: String(d['chr']), keySha256: String(d['keySha256']), deviceChr: String(d['deviceChr']), attestation: String(d['attestation']),
      unattestedConfirmed: d['unattestedConfirmed'] === true, seq: e.seq, ...(e.kind === `${QUORUM_REGISTER}.recovered` ? { recovered: true } : {}),
    });
  }
  return out;
}

/**
 * A registration whose run ended between its intent and its result (a kill,
 * a power cut: the journal marked it abandoned at the next open) is looked
 * up on the card: when the card lists its key, the registration happened,
 * and it is recorded now as recovered, so the journal and the card agree
 * again. One the card does not list stays what the journal says: begun, no
 * result; registering again registers it.
 */
function recoverInterruptedRegistrations(core: QuorumCore, hsm: ScHsmToken, onCard: readonly { readonly chr: string }[] | undefined): void {
  if (onCard === undefined) return;
  const device = hsm.info.deviceKeySha256;
  const entries = core.journal.read();
  const closed = new Set(entries.filter((e) => e.intent !== undefined && /^quorum\.register\.(done|failed|recovered)$/.test(e.kind)).map((e) => e.intent));
  const running = new Set(core.journal.pendingIntents().map((e) => e.seq));
  const known = new Set(registeredCustodians(core, device).map((r) => r.chr));
  for (const e of entries) {
    if (e.kind !== `${QUORUM_REGISTER}.intent` || e.token?.deviceKeySha256 !== device || closed.has(e.seq) || running.has(e.seq)) continue;
    const chr = String(e.data['chr']);
    if (known.has(chr) || !onCard.some((c) => c.chr === chr)) continue;
    core.journal.append(`${QUORUM_REGISTER}.recovered`, {
      chr, keySha256: e.data['keySha256'] ?? null, deviceChr: e.data['deviceChr'] ?? null, attestation: e.data['attestation'] ?? null,
      unattestedConfirmed: e.data['unattestedConfirmed'] === true,
      reason: `the run that registered it ended before recording the result; ${hsm.info.label} lists the key, so the registration took place`,
    }, { intent: e.seq, ...(e.token ? { token: e.token } : {}) });
    known.add(chr);
  }
}

export async function quorumStatus(core: QuorumCore, tokenId: string): Promise<QuorumStatus> {
  const hsm = await hsmToken(core, tokenId);
  await hsm.quorumMode();
  const quorum = hsm.info.quorum;
  const onCard = quorum === undefined ? undefined : await hsm.registeredCustodians();
  recoverInterruptedRegistrations(core, hsm, onCard);
  return {
    tokenId, label: hsm.info.label, serial: hsm.info.serial, ...(quorum !== undefined ? { quorum } : {}),
    summary: quorumSummary(quorum), registered: registeredCustodians(core, hsm.info.deviceKeySha256),
    ...(onCard !== undefined ? { onCard } : {}),
  };
}

export interface QuorumInitRequest {
  readonly soPin: Secret;
  readonly pin: Secret;
  readonly total: number;
  readonly required: number;
  readonly dkekShares?: number;
}

/**
 * Initializes the HSM for m of n custodians in the protecting mode (device
 * options 0011: PIN and quorum, SO-PIN may unblock the PIN). Erases the HSM.
 */
export async function initQuorum(core: QuorumCore, tokenId: string, req: QuorumInitRequest): Promise<QuorumStatus> {
  const hsm = await hsmToken(core, tokenId);
  if (req.required < 2) {
    throw new CustosError('INPUT_INVALID', 'A quorum that one custodian can meet protects nothing: require at least 2 custodians.', { required: req.required });
  }
  const intent = core.journal.begin(QUORUM_INIT, { tokenId, total: req.total, required: req.required, options: PROTECTING_OPTIONS }, tokenRecord(hsm.info));
  try {
    await core.journal.settle(intent, () => hsm.initialize({
      soPin: req.soPin, pin: req.pin, pka: { total: req.total, required: req.required }, options: PROTECTING_OPTIONS,
      ...(req.dkekShares !== undefined ? { dkekShares: req.dkekShares } : {}),
    }));
  } finally {
    req.soPin.wipe();
    req.pin.wipe();
  }
  const mode = await hsm.quorumMode();
  core.journal.complete(intent, { mode: mode.mode, protecting: mode.protecting });
  if (!mode.protecting) {
    throw new CustosError('QUORUM_NOT_PROTECTING', `${hsm.info.label} reports mode ${mode.mode} after initialization: the PIN alone would unlock it, so it is not quorum-protected.`, { mode: mode.mode });
  }
  return await quorumStatus(core, tokenId);
}

/**
 * A custodian enrols: their token makes an authentication key and Custos
 * returns the registration file sc-hsm-tool would export for it. When the
 * enrolment names the HSM it is for, that is journaled, and the file is
 * then refused by any other HSM.
 */
export async function enrolCustodian(core: QuorumCore, custodianTokenId: string, pin: Secret, options: { readonly forTokenId?: string; readonly confirmFinalTry?: boolean } = {}): Promise<{ file: Uint8Array; candidate: CustodianCandidate }> {
  const forHsm = options.forTokenId === undefined ? undefined : await hsmToken(core, options.forTokenId);
  const custodian = await hsmToken(core, custodianTokenId);
  if (forHsm === custodian) throw new CustosError('INPUT_INVALID', 'A custodian enrols with their own token, not with the HSM they guard.', {});
  await core.login(custodianTokenId, pin, options.confirmFinalTry === true);
  try {
    const existing = (await custodian.listKeys()).find((k) => k.label === CUSTODIAN_KEY_LABEL);
    const exported = existing !== undefined ? await custodian.exportCustodianKey(existing) : (await custodian.generateCustodianKey(CUSTODIAN_KEY_LABEL)).exported;
    const candidate = examineCustodianKey(exported);
    core.journal.append(QUORUM_ENROL, {
      chr: candidate.chr, keySha256: candidate.keySha256, deviceChr: candidate.deviceChr, reused: existing !== undefined,
      ...(forHsm !== undefined ? { forDeviceKeySha256: forHsm.info.deviceKeySha256 ?? null, forSerial: forHsm.info.serial } : {}),
    }, { token: tokenRecord(custodian.info) });
    return { file: encodeRegistrationFile(exported), candidate };
  } finally {
    await custodian.logout().catch(() => undefined);
  }
}

/** What the operator sees before confirming a registration. */
export interface RegistrationPreview {
  readonly candidate: Omit<CustodianCandidate, 'request'>;
  readonly attested: boolean;
  /** Registration needs the operator's explicit confirmation: the device is "not attested". */
  readonly needsConfirmation: boolean;
}

/**
 * Reads and checks a registration file for this HSM, on the host: the key's
 * kind, its device's attestation, a CHR clash with a custodian already
 * registered, and a file enrolled for another HSM.
 */
export async function previewRegistration(core: QuorumCore, tokenId: string, file: Uint8Array): Promise<RegistrationPreview> {
  const hsm = await hsmToken(core, tokenId);
  const candidate = examineCustodianKey(decodeRegistrationFile(file));
  recoverInterruptedRegistrations(core, hsm, await hsm.registeredCustodians());
  const registered = registeredCustodians(core, hsm.info.deviceKeySha256);
  const same = registered.find((r) => r.chr === candidate.chr);
  if (same !== undefined) {
    throw new CustosError(same.keySha256 === candidate.keySha256 ? 'CUSTODIAN_ALREADY_REGISTERED' : 'CUSTODIAN_KEY_UNSUITABLE',
      same.keySha256 === candidate.keySha256
        ? `The custodian key ${candidate.chr} is registered on ${hsm.info.label} already (journal entry #${same.seq}${same.recovered === true ? ', recorded after an interrupted registration' : ''}).`
        : `Another custodian key with the holder reference ${candidate.chr} is registered on ${hsm.info.label}: two keys with one CHR cannot be told apart. Enrol a new key.`,
      { chr: candidate.chr });
  }
  const enrolment = core.journal.read().filter((e) => e.kind === QUORUM_ENROL && e.data['keySha256'] === candidate.keySha256).at(-1);
  const target = enrolment?.data['forDeviceKeySha256'];
  if (typeof target === 'string' && target !== hsm.info.deviceKeySha256) {
    throw new CustosError('CUSTODIAN_FILE_FOR_OTHER_HSM',
      `This registration file was enrolled for the HSM ${String(enrolment?.data['forSerial'] ?? '?')}, not for ${hsm.info.label} (${hsm.info.serial}): use the file made for this HSM.`,
      { chr: candidate.chr, forSerial: String(enrolment?.data['forSerial'] ?? '') });
  }
  // The card's own list catches a key registered outside this journal (by sc-hsm-tool, the rehearsal, another home).
  const onCard = await hsm.registeredCustodians();
  if (onCard?.some((c) => c.chr === candidate.chr) === true) {
    throw new CustosError('CUSTODIAN_ALREADY_REGISTERED',
      `${hsm.info.label} lists a custodian key with the holder reference ${candidate.chr} already: the same key is not registered twice, and another key with that CHR could not be told apart from it.`,
      { chr: candidate.chr });
  }
  const { request: _request, ...shown } = candidate;
  return { candidate: shown, attested: candidate.attestation !== 'none', needsConfirmation: candidate.attestation === 'none' };
}

/**
 * Registers a custodian on the HSM. Once enough custodians are registered
 * to form a quorum, a further registration needs the current quorum first:
 * a change to who guards the key is itself guarded.
 */
export async function registerCustodian(core: QuorumCore, tokenId: string, file: Uint8Array, options: { readonly confirmUnattested?: boolean } = {}): Promise<QuorumStatus> {
  const hsm = await hsmToken(core, tokenId);
  const preview = await previewRegistration(core, tokenId, file);
  const mode = await hsm.quorumMode();
  const status = mode.status;
  if (status === undefined) throw new CustosError('PKA_NOT_CONFIGURED', `${hsm.info.label} has no custodian quorum: initialize it with custos quorum init.`, { tokenId });
  if (status.keysToRegister === 0) {
    throw new CustosError('INPUT_INVALID', `All ${status.totalKeys} custodian keys of ${hsm.info.label} are registered: a registered key cannot be replaced on this card.`, { total: status.totalKeys });
  }
  const registered = status.totalKeys - status.keysToRegister;
  if (registered >= status.requiredKeys && status.authenticatedKeys < status.requiredKeys) {
    throw new CustosError('QUORUM_NOT_MET',
      `${registered} custodians can already form the quorum of ${hsm.info.label}: ${status.requiredKeys} of them must authenticate before another custodian is added (${status.authenticatedKeys} of ${status.requiredKeys} authenticated).`,
      { authenticated: status.authenticatedKeys, required: status.requiredKeys });
  }
  if (preview.needsConfirmation && options.confirmUnattested !== true) {
    throw new CustosError('CUSTODIAN_NOT_ATTESTED',
      `The custodian key ${preview.candidate.chr} is not attested (${preview.candidate.notAttestedBecause === 'device-request' ? 'its token has no device certificate' : 'its device chains to no known root'}): confirm to register it anyway; the journal records the confirmation.`,
      { chr: preview.candidate.chr, deviceChr: preview.candidate.deviceChr });
  }
  const c = preview.candidate;
  const intent = core.journal.begin(QUORUM_REGISTER, {
    tokenId, chr: c.chr, keySha256: c.keySha256, curve: c.curve, deviceChr: c.deviceChr, deviceKeySha256: c.deviceKeySha256,
    attestation: c.attestation, unattestedConfirmed: preview.needsConfirmation,
  }, tokenRecord(hsm.info));
  const after = await core.journal.settle(intent, () => hsm.registerCustodian(decodeRegistrationFile(file), { acceptUnattested: preview.needsConfirmation }));
  core.journal.complete(intent, {
    chr: c.chr, keySha256: c.keySha256, deviceChr: c.deviceChr, attestation: c.attestation, unattestedConfirmed: preview.needsConfirmation,
    registered: after.totalKeys - after.keysToRegister, total: after.totalKeys,
  });
  return await quorumStatus(core, tokenId);
}

/**
 * A custodian's token that left its reader (or stopped answering) during the
 * custodian's turn: named by its label, with the count the HSM still holds,
 * so the operator knows nobody lost their place.
 */
async function custodianTokenGone(e: unknown, custodianTokenId: string, custodian: ScHsmToken, hsm: ScHsmToken): Promise<unknown> {
  if (!isCustosError(e) || !TOKEN_GONE.has(e.code)) return e;
  const reader = e.details['reader'];
  if (reader !== undefined && reader !== custodian.info.reader) return e;
  await hsm.quorumMode().catch(() => undefined);
  return new CustosError('TOKEN_REMOVED',
    `The custodian token ${custodian.info.label} (serial ${custodian.info.serial}) was removed before it signed the challenge of ${hsm.info.label}: it is not counted. Still ${quorumSummary(hsm.info.quorum)}. Insert it again and repeat its step, or let another custodian authenticate.`,
    { tokenId: custodianTokenId, label: custodian.info.label, serial: custodian.info.serial, ...(custodian.info.reader !== undefined ? { reader: custodian.info.reader } : {}) },
    { cause: e });
}

/** What a custodian token that left its reader reports, whichever command noticed. */
const TOKEN_GONE = new Set(['TOKEN_REMOVED', 'SESSION_FAILED']);

/**
 * Which key of the custodian's (logged-in) token signs for this HSM: the one
 * the HSM has registered, not merely the first EC key on the token. A token
 * may hold other keys, some with the same holder reference (OpenSC names
 * every key <serial>00001): the key the journal recorded at registration
 * comes first, then a key whose CHR the card lists, then the key Custos's
 * enrolment labelled. A key whose public object is no longer its request
 * cannot be one.
 */
async function registeredAuthenticator(core: QuorumCore, hsm: ScHsmToken, custodian: ScHsmToken, custodianTokenId: string): Promise<CustodianAuthenticator> {
  const recorded = new Set(registeredCustodians(core, hsm.info.deviceKeySha256).map((r) => r.keySha256));
  const listed = new Set((await hsm.registeredCustodians())?.map((c) => c.chr) ?? []);
  const keys = (await custodian.listKeys()).filter((k) => k.spec.kind === 'ec');
  const candidates: { label: string; authenticator: CustodianAuthenticator }[] = [];
  for (const key of keys) {
    const authenticator = await cardCustodian(custodian.card, Number.parseInt(key.id, 16)).catch(() => undefined);
    if (authenticator !== undefined) candidates.push({ label: key.label, authenticator });
  }
  const chosen = candidates.find((c) => recorded.has(c.authenticator.keySha256))
    ?? (listed.size > 0 ? candidates.find((c) => listed.has(c.authenticator.chr) && c.label === CUSTODIAN_KEY_LABEL) ?? candidates.find((c) => listed.has(c.authenticator.chr)) : undefined)
    ?? candidates.find((c) => c.label === CUSTODIAN_KEY_LABEL)
    ?? candidates[0];
  if (chosen === undefined) throw new CustosError('CUSTODIAN_NOT_REGISTERED', `${custodian.info.label} holds no custodian authentication key: enrol it first.`, { tokenId: custodianTokenId });
  return chosen.authenticator;
}

/**
 * One custodian authenticates to the HSM with their own token and PIN: the
 * token signs the HSM's challenge, and is logged out again at once. The
 * count is the HSM's: taking the custodian's token away afterwards does not
 * lower it. The custodian's token is let go afterwards (unless it was open
 * before), so the next custodian can use the same reader, and a token that
 * was pulled out is opened afresh when it is presented again.
 */
export async function authenticateCustodian(core: QuorumCore, tokenId: string, custodianTokenId: string, pin: Secret, options: { readonly confirmFinalTry?: boolean } = {}): Promise<QuorumStatus> {
  const hsm = await hsmToken(core, tokenId);
  const wasOpen = core.tokens.openTokens().has(custodianTokenId);
  const custodian = await hsmToken(core, custodianTokenId);
  if (custodian === hsm) throw new CustosError('INPUT_INVALID', 'The HSM cannot be its own custodian: present a custodian\'s token.', {});
  let approval: CustodianApproval | undefined;
  let gone = false;
  try {
    await core.login(custodianTokenId, pin, options.confirmFinalTry === true);
    const authenticator = await registeredAuthenticator(core, hsm, custodian, custodianTokenId);
    approval = { chr: authenticator.chr, keySha256: authenticator.keySha256 };
    await hsm.authenticateCustodian(authenticator);
  } catch (e) {
    const named = await custodianTokenGone(e, custodianTokenId, custodian, hsm);
    gone = named !== e;
    throw named;
  } finally {
    await custodian.logout().catch(() => undefined);
    if (gone || !wasOpen) await releaseToken(core, custodianTokenId).catch(() => undefined);
  }
  const q = hsm.info.quorum!;
  core.journal.append(QUORUM_AUTHENTICATE, {
    tokenId, chr: approval.chr, keySha256: approval.keySha256, custodianSerial: custodian.info.serial, authenticated: q.authenticated, required: q.required,
  }, { token: tokenRecord(hsm.info) });
  return await quorumStatus(core, tokenId);
}

/** For the CLI and the screen: the opened custodian token is released so the next custodian's can be inserted. */
export async function releaseToken(core: QuorumCore, tokenId: string): Promise<void> {
  const open = core.tokens.openTokens().get(tokenId) as Token | undefined;
  if (open !== undefined) await core.tokens.close(tokenId);
}
