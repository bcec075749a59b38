/**
 * The journal key and the checkpoints it signs, on the token of each act.
 * Every act that makes a CA signature runs through anchoredAct: before its
 * intent, the chain's anchors are checked and the token's journal key found
 * (made and recorded first if the token has none); after it, whether it
 * succeeded or not, the journal key signs the head the act left.
 */
import { CustosError } from '../errors/index.ts';
import { tokenRecord, type KeyRef, type KeySpec, type SignAlgorithm, type Token } from '../hsm/token.ts';
import { CHECKPOINT_KIND, checkpointStatement, formatHead, JOURNAL_KEY_KIND, JOURNAL_KEY_LABEL, type JournalHead } from '../journal/checkpoint.ts';
import type { JournalEntry } from '../journal/index.ts';
import { b64, type CaContext } from './context.ts';

/** P-256 where the token makes it (SoftHSM2 and the SmartCard-HSM do); RSA 2048 on a token that makes no EC keys. */
const JOURNAL_KEY_SPECS: readonly KeySpec[] = [{ kind: 'ec', curve: 'P-256' }, { kind: 'rsa', bits: 2048 }];

function checkpointAlgorithm(key: KeyRef): SignAlgorithm {
  return key.spec.kind === 'ec' ? { scheme: 'ecdsa', hash: 'SHA-256' } : { scheme: 'rsa-pkcs1', hash: 'SHA-256' };
}

/** The last entry's seq and hash: what the CLI prints and exports carry. */
export function journalHead(ctx: CaContext): JournalHead {
  const seq = ctx.journal.lastSeq;
  return { seq, hash: seq === 0 ? '0'.repeat(64) : ctx.journal.entryAt(seq)!.hash };
}

export function journalHeadText(ctx: CaContext): string {
  return formatHead(journalHead(ctx));
}

/**
 * Refuses to sign on a chain whose anchors fail: a forged checkpoint, or a
 * CA signature that was in the journal when it was opened with no checkpoint
 * after it. A new checkpoint would otherwise cover whatever a forger left.
 * Acts of this process whose checkpoint failed are left for the next
 * checkpoint to cover.
 */
export function requireAnchoredJournal(ctx: CaContext): void {
  const problem = ctx.anchors?.problemAtOpen();
  if (problem) {
    throw new CustosError(problem.code,
      `The journal's signed checkpoints do not hold: ${problem.reason}. Nothing will be signed until then${problem.code === 'JOURNAL_UNANCHORED' ? '' : ' (restore the journal from a copy, or examine it with custos journal verify)'}.`,
      { firstBadSeq: problem.seq });
  }
}

async function generateJournalKey(ctx: CaContext, token: Token): Promise<KeyRef> {
  let last: unknown;
  for (const spec of JOURNAL_KEY_SPECS) {
    const intent = ctx.journal.begin('key.generate', { spec: { ...spec }, label: JOURNAL_KEY_LABEL, purpose: 'journal' }, tokenRecord(token.info));
    try {
      const key = await ctx.journal.settle(intent, () => token.generateKeyPair(spec, JOURNAL_KEY_LABEL));
      ctx.journal.complete(intent, { keyId: key.id, spkiSha256: key.spkiSha256, label: key.label });
      return key;
    } catch (e) {
      last = e;
      if (!(e instanceof CustosError && (e.code === 'KEY_SPEC_UNSUPPORTED' || e.code === 'MECHANISM_UNSUPPORTED'))) throw e;
    }
  }
  throw last;
}

/**
 * The token's journal key, recorded in the journal (its own entry, before it
 * signs anything) for these CAs: the one already recorded if the token holds
 * it, else one labelled JOURNAL_KEY_LABEL that the token holds, else a new one.
 */
export async function journalKeyOn(ctx: CaContext, token: Token, caIds: readonly string[]): Promise<KeyRef> {
  const labelled = (await token.listKeys()).filter((k) => k.label === JOURNAL_KEY_LABEL);
  const key = labelled.find((k) => ctx.state.journalKeys.has(k.spkiSha256)) ?? labelled[0] ?? await generateJournalKey(ctx, token);
  const recorded = ctx.state.journalKeys.get(key.spkiSha256);
  const newCaIds = caIds.filter((id) => !recorded?.caIds.has(id));
  if (!recorded || newCaIds.length > 0) {
    ctx.journal.append(JOURNAL_KEY_KIND, {
      keySpkiSha256: key.spkiSha256, spki: b64(key.spki), keySpec: { ...key.spec }, label: key.label, caIds: newCaIds,
    }, { token: tokenRecord(token.info), durable: true });
  }
  return key;
}

/** A logged-in token other than except that holds a journal key this journal has vouched for. */
async function vouchedKeyOnOpenToken(ctx: CaContext, except: Token): Promise<{ token: Token; key: KeyRef } | undefined> {
  for (const token of ctx.tokens.openTokens().values()) {
    if (token === except || !token.info.loggedIn) continue;
    const keys = await token.listKeys().catch(() => []);
    const key = keys.find((k) => k.label === JOURNAL_KEY_LABEL && ctx.anchors?.isVouched(k.spkiSha256));
    if (key) return { token, key };
  }
  return undefined;
}

/**
 * A journal key new to a journal that has one already counts only once a
 * vouched key's checkpoint covers its record (checkpoint.ts): signed here by
 * any other logged-in token that holds one, or the act is refused before it
 * signs anything, since its checkpoint would count for nothing.
 */
async function requireVouched(ctx: CaContext, token: Token, key: KeyRef): Promise<void> {
  if (!ctx.anchors || ctx.anchors.isVouched(key.spkiSha256)) return;
  const voucher = await vouchedKeyOnOpenToken(ctx, token);
  if (voucher) await signCheckpoint(ctx, voucher.token, voucher.key);
  if (!ctx.anchors.isVouched(key.spkiSha256)) {
    throw new CustosError('JOURNAL_KEY_UNVOUCHED',
      `The journal key on ${token.info.label} is new to this journal, and no logged-in token holds a journal key it has vouched for. Log in to a token that signed for this journal's CAs before (its checkpoint vouches for the new key), then try again; a CA with no tie to them keeps its own journal in a data directory of its own (--home).`,
      { tokenLabel: token.info.label, keySpkiSha256: key.spkiSha256 });
  }
}

/**
 * After a CA key was restored into another token: that token's journal key
 * is recorded for the CAs of the key, and the source token's journal key
 * vouches for it, so the second token can later sign and anchor alone.
 */
export async function vouchForRestoredKey(ctx: CaContext, from: Token, to: Token, caKeySpkiSha256: string): Promise<void> {
  const source = (await from.listKeys()).find((k) => k.label === JOURNAL_KEY_LABEL && ctx.anchors?.isVouched(k.spkiSha256));
  if (!source) return;
  const caIds = [...ctx.state.cas.values()].filter((c) => c.keySpkiSha256 === caKeySpkiSha256).map((c) => c.id);
  await journalKeyOn(ctx, to, caIds);
  await signCheckpoint(ctx, from, source);
}

/** Signs the journal's head with the journal key and appends the checkpoint. */
export async function signCheckpoint(ctx: CaContext, token: Token, key: KeyRef): Promise<JournalEntry> {
  const failure = ctx.anchors?.failure;
  if (failure) throw new CustosError('JOURNAL_TAMPERED', `No checkpoint is signed over a journal whose anchors fail: ${failure.reason}.`, { firstBadSeq: failure.seq });
  const head = journalHead(ctx);
  let signature: Uint8Array;
  try {
    signature = await token.signer(key).sign(checkpointStatement(head.seq, head.hash), checkpointAlgorithm(key));
  } catch (e) {
    throw new CustosError('JOURNAL_CHECKPOINT_FAILED',
      `The act is recorded, but the journal key on ${token.info.label} could not sign its checkpoint (${e instanceof Error ? e.message : String(e)}). Keep the token in and logged in: the next act signed on it covers this one.`,
      { tokenLabel: token.info.label, headSeq: head.seq });
  }
  return ctx.journal.append(CHECKPOINT_KIND, {
    keySpkiSha256: key.spkiSha256, headSeq: head.seq, headHash: head.hash, signature: b64(signature),
  }, { token: tokenRecord(token.info), durable: true });
}

/**
 * Runs an act that makes a CA signature on token, between the checks and the
 * checkpoint. The checkpoint is signed even when the act failed part-way (a
 * batch may have issued some certificates); the act's own error comes first.
 */
export async function anchoredAct<T>(ctx: CaContext, token: Token, caIds: readonly string[], act: (journalKey: KeyRef) => Promise<T>): Promise<T> {
  requireAnchoredJournal(ctx);
  const key = await journalKeyOn(ctx, token, caIds);
  await requireVouched(ctx, token, key);
  let result: T;
  try {
    result = await act(key);
  } catch (e) {
    await signCheckpoint(ctx, token, key).catch(() => undefined);
    throw e;
  }
  await signCheckpoint(ctx, token, key);
  return result;
}

/** The token's journal key that this journal trusts (vouched for; recorded, where no anchors are followed), if it holds one. */
async function trustedJournalKeyOn(ctx: CaContext, token: Token): Promise<KeyRef | undefined> {
  const trusted = (k: KeyRef): boolean => (ctx.anchors ? ctx.anchors.isVouched(k.spkiSha256) : ctx.state.journalKeys.has(k.spkiSha256));
  return (await token.listKeys()).find((k) => k.label === JOURNAL_KEY_LABEL && trusted(k));
}

/**
 * After an act that changed the journal on a token without making a CA
 * signature (a key generation): a checkpoint when the token holds a journal
 * key this journal has recorded. Not required by verification, so a token
 * without one is left as it is.
 */
export async function checkpointIfHeld(ctx: CaContext, token: Token): Promise<JournalEntry | undefined> {
  if (!token.info.loggedIn || ctx.anchors?.failure) return undefined;
  const key = await trustedJournalKeyOn(ctx, token);
  return key ? signCheckpoint(ctx, token, key) : undefined;
}

/**
 * A checkpoint the operator asks for after checking the entries that lie
 * under none: how a journal goes on after an act whose own checkpoint could
 * not be signed (the token was pulled between the two). Signing it vouches
 * for those entries, so the CLI shows them and asks first. Refused over a
 * forged checkpoint, which no later one may cover.
 */
export async function checkpointAfterReview(ctx: CaContext, token: Token): Promise<JournalEntry> {
  const key = await trustedJournalKeyOn(ctx, token);
  if (!key) {
    throw new CustosError('KEY_NOT_FOUND', `${token.info.label} holds no journal key this journal has vouched for: log in to a token that signed for one of its CAs.`, { tokenLabel: token.info.label });
  }
  return signCheckpoint(ctx, token, key);
}
