/**
 * What each act of a script does when its step runs: the acts the core
 * already has (root, issue, CRL, bundle, DKEK import, custodian
 * authentication) called as the CLI and the window call them, and what the
 * people in the room are shown and read aloud afterwards. Nothing here
 * signs in any other way than those acts do.
 */
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CustosError, isCustosError } from '../errors/index.ts';
import type { Custos } from '../custos.ts';
import type { Secret } from '../secret.ts';
import { createRoot } from '../ca/root.ts';
import { importRequests } from '../ca/requests.ts';
import { issueCertificate } from '../ca/issue.ts';
import { issueCrl } from '../ca/crl.ts';
import { exportCertificate } from '../ca/export.ts';
import { domainStatus, importDkekShareFile, readShareFile, SHARE_FILE_ITERATIONS_ENV, shareFileIterationsForTests } from '../ca/key-domain.ts';
import { checkpointAfterReview, journalHeadText } from '../ca/journal-anchor.ts';
import { backupKeyToFile, KEY_BACKUP_KIND, KEY_RESTORE_KIND, METADATA_SUFFIX, readBackup, restoreKeyFromFile } from '../ca/key-backup-act.ts';
import type { JournalEntry } from '../journal/index.ts';
import { authenticateCustodian, quorumStatus } from '../quorum/quorum.ts';
import { createBundle } from '../exchange/bundle.ts';
import { createBundleSigner, findBundleSigner, BUNDLE_SIGNER_PROFILE } from '../exchange/bundle-signer.ts';
import { bundleError, verifyBundle } from '../exchange/bundle-verify.ts';
import { CEREMONY_STEP_KIND, type ArtifactRecord, type CustodianRecord } from './journal-entries.ts';
import { keySpecOf, requestOnMedium, tokenInRoom } from './preflight.ts';
import type { Step } from './script-schema.ts';

/** What the runner asks of the people in the room while a step's act runs. Secrets come back as Secrets and are wiped after use. */
export interface CeremonyHands {
  /** The user PIN of an HSM the step opens (the ceremony's, or a secondary), when it is not logged in. */
  hsmPin(hsmLabel: string, tokenId: string): Promise<Secret>;
  /** Whether the person confirmed spending this token's final PIN try; without it a token on its last try is not tried. */
  confirmsFinalTry?(tokenId: string): boolean;
  /** The next custodian to present a token for the quorum (its token id and the PIN they type), or undefined when no one else comes forward. */
  custodian(hsmLabel: string, status: string): Promise<{ tokenId: string; pin: Secret } | undefined>;
  /** dkek.import: share k of n, as its custodian hands it over: the file and its password. */
  share(k: number, n: number): Promise<HandedShare>;
}

/**
 * A DKEK share as its custodian hands it over: the file on a medium by its
 * path, or its bytes as the window read a file the person picked; the
 * password it opens with; and, from the custodian's paper record, the
 * share's KCV the file must open to.
 */
export type HandedShare = ({ readonly path: string } | { readonly fileName: string; readonly file: Uint8Array }) & {
  readonly password: Secret;
  readonly expectedShareKcv?: string;
};

/** Where a step runs: the core, the HSM, the medium, and what the ceremony produced so far. */
export interface StepPlace {
  readonly core: Custos;
  readonly hsmTokenId?: string;
  readonly mediaDir?: string;
  /** Artifacts recorded by the ceremony's earlier steps, for fingerprints.read and bundle.verify. */
  readonly earlier: readonly ArtifactRecord[];
  /** The seq of the ceremony's last entry: entries after it are this step's. */
  readonly sinceSeq: number;
  /** The seq of its ceremony.begin: what was signed after it is this ceremony's. */
  readonly beginSeq: number;
}

export interface ActOutcome {
  readonly artifacts: ArtifactRecord[];
  readonly custodians?: CustodianRecord[];
  /** What the room is shown besides the fingerprints: tokens present, a key domain's KCV, a verified journal. */
  readonly shown: string[];
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function requireHsm(place: StepPlace): string {
  if (place.hsmTokenId === undefined) throw new CustosError('CEREMONY_TOKEN_MISSING', 'This step needs the ceremony\'s HSM, and none was named.', {});
  return place.hsmTokenId;
}

function requireMedium(place: StepPlace): string {
  if (place.mediaDir === undefined) throw new CustosError('CEREMONY_MEDIA_MISSING', 'This step reads or writes the removable medium, and none was named.', {});
  return place.mediaDir;
}

function caNamed(core: Custos, name: string): { id: string; name: string; keySpkiSha256: string } {
  const ca = [...core.state.cas.values()].find((c) => c.name === name);
  if (!ca) throw new CustosError('CEREMONY_CA_UNKNOWN', `No CA named "${name}" is in the journal.`, { name });
  return ca;
}

/**
 * Brings the HSM's quorum up: custodians present their tokens one at a
 * time until as many as it requires have authenticated. Returns who
 * authenticated (undefined for an HSM with no quorum, which the PIN alone opens).
 */
async function meetQuorum(place: StepPlace, hands: CeremonyHands): Promise<CustodianRecord[] | undefined> {
  const hsmId = requireHsm(place);
  let status = await quorumStatus(place.core, hsmId);
  if (status.quorum === undefined) return undefined;
  while (status.quorum!.authenticated < status.quorum!.required) {
    const next = await hands.custodian(status.label, status.summary);
    if (next === undefined) throw new CustosError('QUORUM_NOT_MET', `${status.label}: ${status.summary}; the quorum is not met, and the step did not run.`, { tokenId: hsmId });
    status = await authenticateCustodian(place.core, hsmId, next.tokenId, next.pin);
  }
  return status.quorum!.custodians.map((c) => ({ chr: c.chr, keySha256: c.keySha256 }));
}

async function logIn(place: StepPlace, hands: CeremonyHands, hsmId = requireHsm(place)): Promise<void> {
  const token = await place.core.tokens.open(hsmId);
  await token.refresh();
  if (!token.info.loggedIn) await place.core.login(hsmId, await hands.hsmPin(token.info.label, hsmId), hands.confirmsFinalTry?.(hsmId) === true);
}

/**
 * A signing act the token finished but a killed run never recorded as done
 * is recorded at the next open (`<act>.recovered`) under no signed
 * checkpoint, and no CA signs again until a person vouches for it. In a
 * ceremony the room has done that: the step that took it from the journal
 * was confirmed by its performer and witnesses. So, once every act under no
 * checkpoint belongs to a step this ceremony recorded, the ceremony's HSM
 * signs the checkpoint over them; anything else is left for the journal's
 * own review (custos journal checkpoint), and the act refuses as it would.
 */
async function checkpointConfirmedActs(place: StepPlace): Promise<void> {
  const { core } = place;
  const uncovered = core.ctx.anchors?.summary().uncoveredActs ?? [];
  if (uncovered.length === 0 || place.hsmTokenId === undefined) return;
  const entries = core.journal.read(place.beginSeq - 1);
  const ceremony = entries.find((e) => e.seq === place.beginSeq)?.data['ceremony'];
  const confirmed = new Set(entries
    .filter((e) => e.kind === CEREMONY_STEP_KIND && e.data['ceremony'] === ceremony && e.data['recordedFromJournal'] === true)
    .flatMap((e) => (Array.isArray(e.data['actSeqs']) ? e.data['actSeqs'] as number[] : [])));
  if (!uncovered.every((seq) => confirmed.has(seq))) return;
  await checkpointAfterReview(core.ctx, await core.tokens.open(place.hsmTokenId));
}

/** For an act that uses the HSM's keys: the quorum (where the HSM has one) and the PIN. */
async function openHsm(place: StepPlace, hands: CeremonyHands): Promise<CustodianRecord[] | undefined> {
  const custodians = await meetQuorum(place, hands);
  await logIn(place, hands);
  await checkpointConfirmedActs(place);
  return custodians;
}

async function runCheck(place: StepPlace, check: string): Promise<ActOutcome> {
  const { core } = place;
  switch (check) {
    case 'tokens.present': {
      const tokens = await core.tokens.list();
      return { artifacts: [], shown: tokens.map((t) => `${t.info.virtual ? '[VIRTUAL] ' : ''}${t.info.label}  serial ${t.info.serial}${t.id === place.hsmTokenId ? '  (the ceremony\'s HSM)' : ''}`) };
    }
    case 'journal.verify': {
      const result = core.journal.verify();
      if (!result.ok) throw new CustosError(result.code ?? 'JOURNAL_TAMPERED', `The journal fails verification at entry #${result.firstBadSeq}: ${result.reason}. Stop the ceremony.`, { firstBadSeq: result.firstBadSeq ?? null });
      return { artifacts: [], shown: [`journal intact: ${result.entries} entries`, `journal head ${journalHeadText(core.ctx)}`] };
    }
    case 'dkek.kcv': {
      const d = await domainStatus(core.ctx, requireHsm(place));
      if (!d.complete) throw new CustosError('DKEK_INCOMPLETE', `The key domain is not complete: ${d.outstandingShares} of ${d.totalShares} shares are still to be imported.`, {});
      return { artifacts: [], shown: [`key domain complete: ${d.totalShares} share(s), KCV ${d.kcv}`] };
    }
    case 'media.removable': {
      const dir = requireMedium(place);
      const files = (await readdir(dir)).sort();
      return { artifacts: [], shown: [`medium ${dir}${core.rehearsalOnly ? ' (a folder standing for the medium: rehearsal)' : ''}`, ...files.map((f) => `  ${f}`)] };
    }
    case 'fingerprints.read':
      return { artifacts: [], shown: place.earlier.map((a) => `${a.kind} ${a.name}: ${a.sha256.match(/.{1,4}/g)?.join(' ') ?? a.sha256}`) };
    case 'bundle.verify': {
      const bundle = [...place.earlier].reverse().find((a) => a.kind === 'bundle' && a.path !== undefined);
      if (!bundle) throw new CustosError('CEREMONY_STEP_NOT_RUN', 'No bundle was written earlier in this ceremony to verify.', {});
      const report = await verifyBundle(bundle.path!);
      const error = bundleError(report);
      if (error) throw error;
      return { artifacts: [], shown: [`bundle ${bundle.path} verifies: ${report.files.length} files`] };
    }
    default:
      throw new CustosError('CEREMONY_ACT_UNSUPPORTED', `The check ${check} is not known.`, { check });
  }
}

/** The HSM a step names besides the ceremony's: CEREMONY_TOKEN_MISSING when it left the room since the pre-flight. */
async function secondaryNamed(core: Custos, name: string): Promise<{ id: string; label: string }> {
  const token = await tokenInRoom(core, name);
  if (!token) throw new CustosError('CEREMONY_TOKEN_MISSING', `The HSM "${name}" this step names is not present: insert it.`, { label: name });
  return { id: token.id, label: token.info.label };
}

/** This step's completed act of this kind for this key, from the journal: a step interrupted after its act records it, and does not do it again. */
function doneSince(core: Custos, sinceSeq: number, kind: string, spkiSha256: string): { intent: JournalEntry; done: JournalEntry } | undefined {
  const entries = core.journal.read(sinceSeq);
  for (const done of entries) {
    if (done.kind !== `${kind}.done` || done.intent === undefined) continue;
    const intent = entries.find((e) => e.seq === done.intent);
    if (intent?.data['spkiSha256'] === spkiSha256) return { intent, done };
  }
  return undefined;
}

function backupArtifacts(caName: string, wkyPath: string, wkySha256: string, spkiSha256: string, kcv: string, keyName = `${caName} key`): ArtifactRecord[] {
  return [
    { kind: 'backup', name: basename(wkyPath), sha256: wkySha256, path: wkyPath },
    { kind: 'key', name: keyName, sha256: spkiSha256 },
    // A KCV is 8 bytes, not a SHA-256: it is read aloud the same way, and named for what it is.
    { kind: 'dkek', name: 'key domain KCV', sha256: kcv },
  ];
}

/** The backup a restore step unwraps: the one this ceremony wrote, else the one on the medium whose record names the CA's key. */
async function backupFor(place: StepPlace, spkiSha256: string): Promise<string> {
  const written = [...place.earlier].reverse().find((a) => a.kind === 'backup' && a.path !== undefined);
  if (written) return written.path!;
  const dir = requireMedium(place);
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.wky')).sort()) {
    const path = join(dir, name);
    const read = await readBackup(path).catch(() => undefined);
    if (read?.description.hasRecord && read.description.spkiSha256 === spkiSha256) return path;
  }
  throw new CustosError('CEREMONY_STEP_NOT_RUN', `No backup of this key (a .wky with its ${METADATA_SUFFIX}) was written earlier in this ceremony or is on the medium ${dir}.`, { mediaDir: dir });
}

export async function runAct(step: Step, place: StepPlace, hands: CeremonyHands): Promise<ActOutcome> {
  const { core } = place;
  const { action } = step;
  switch (action.act) {
    case 'check':
      return runCheck(place, action.params.check);
    case 'quorum.auth': {
      const custodians = await openHsm(place, hands);
      const status = await quorumStatus(core, requireHsm(place));
      return { artifacts: [], ...(custodians ? { custodians } : {}), shown: [`${status.label}: ${status.summary}`, ...(custodians ?? []).map((c) => `  custodian ${c.chr}, key SHA-256 ${c.keySha256}`)] };
    }
    case 'dkek.import': {
      const hsmId = action.params.token === undefined ? requireHsm(place) : (await secondaryNamed(core, action.params.token)).id;
      // A secondary joins the ceremony HSM's domain: once its last share is in, its KCV must be that one, or KCV_MISMATCH.
      const primary = action.params.token === undefined ? undefined : await domainStatus(core.ctx, requireHsm(place));
      const expectedKcv = primary?.complete ? { expectedKcv: primary.kcv! } : {};
      // Share files opened as custos dkek import opens them: a test run's count of KDF rounds is honoured here too, and said.
      const iterations = shareFileIterationsForTests({ rehearsal: core.rehearsalOnly });
      let status = await domainStatus(core.ctx, hsmId);
      // After an interruption some shares may be in already: only the outstanding ones are asked for.
      while (!status.complete) {
        const k = status.importedShares + 1;
        const handed = await hands.share(k, status.totalShares);
        const { file, fileName } = 'path' in handed
          ? { file: await readShareFile(handed.path).catch((e: unknown) => { handed.password.wipe(); throw e; }), fileName: basename(handed.path) }
          : { file: handed.file, fileName: basename(handed.fileName) };
        status = await importDkekShareFile(core.ctx, {
          tokenId: hsmId, file, fileName, password: handed.password, ...expectedKcv, ...(handed.expectedShareKcv ? { expectedShareKcv: handed.expectedShareKcv } : {}),
        }, iterations === undefined ? {} : { iterations });
      }
      if (primary?.complete && status.kcv !== primary.kcv) {
        throw new CustosError('KCV_MISMATCH', `The key domain of "${action.params.token}" is ${status.kcv}, not the ceremony HSM's ${primary.kcv}.`, { kcv: status.kcv ?? '', expectedKcv: primary.kcv ?? '' });
      }
      return { artifacts: [], shown: [...(iterations === undefined ? [] : [`warning: ${SHARE_FILE_ITERATIONS_ENV} is set: share files were opened with ${iterations} KDF rounds. For tests only.`]),
        `${action.params.token ?? 'key domain'}: key domain complete: ${status.totalShares} share(s), KCV ${status.kcv}${primary ? ` (the ceremony HSM's: ${primary.kcv})` : ''}`] };
    }
    case 'key.backup': {
      const dir = requireMedium(place);
      const ca = caNamed(core, action.params.ca);
      const before = doneSince(core, place.sinceSeq, KEY_BACKUP_KIND, ca.keySpkiSha256);
      if (before) {
        const d = before.done.data;
        return { artifacts: backupArtifacts(ca.name, String(d['wkyFile']), String(d['wkySha256']), ca.keySpkiSha256, String(d['domainKcv'])),
          shown: [`The backup was written before the interruption (journal entry #${before.done.seq}); it is recorded from the journal and not made again.`] };
      }
      const custodians = await openHsm(place, hands);
      const hsmId = requireHsm(place);
      const key = await (await core.tokens.open(hsmId)).findKey(ca.keySpkiSha256);
      if (!key) throw new CustosError('CEREMONY_KEY_MISSING', `The key of CA "${ca.name}" is not on the ceremony's HSM.`, { name: ca.name });
      const written = await core.exclusive('key backup', () => backupKeyToFile(core.ctx, { tokenId: hsmId, label: key.label, spkiSha256: ca.keySpkiSha256, directory: dir }));
      const m = written.metadata;
      return {
        artifacts: backupArtifacts(ca.name, written.wkyPath, m.wkySha256, m.spkiSha256, m.domainKcv), ...(custodians ? { custodians } : {}),
        shown: [`key of "${ca.name}" wrapped under key domain ${m.domainKcv}`, `written: ${written.wkyPath}`, `and its record: ${written.metadataPath}`],
      };
    }
    case 'key.restore': {
      const ca = caNamed(core, action.params.ca);
      const target = action.params.token === undefined ? { id: requireHsm(place), label: 'the ceremony\'s HSM' } : await secondaryNamed(core, action.params.token);
      const before = doneSince(core, place.sinceSeq, KEY_RESTORE_KIND, ca.keySpkiSha256);
      if (before) {
        const i = before.intent.data;
        return { artifacts: backupArtifacts(ca.name, String(i['wkyFile']), String(i['wkySha256']), String(before.done.data['spkiSha256']), String(i['domainKcv']), `${ca.name} key on ${target.label}`),
          shown: [`The key was restored before the interruption (journal entry #${before.done.seq}); it is recorded from the journal and not restored again.`] };
      }
      const wkyPath = await backupFor(place, ca.keySpkiSha256);
      await logIn(place, hands, target.id);
      const restored = await core.exclusive('key restore', () => restoreKeyFromFile(core.ctx, { tokenId: target.id, wkyPath }));
      const m = restored.description;
      if (restored.key.spkiSha256 !== ca.keySpkiSha256) {
        throw new CustosError('KEY_RESTORE_MISMATCH', `The key restored into ${target.label} is not the key of CA "${ca.name}".`, {});
      }
      return {
        artifacts: backupArtifacts(ca.name, wkyPath, m.wkySha256, restored.key.spkiSha256, m.domainKcv, `${ca.name} key on ${target.label}`),
        shown: [`key of "${ca.name}" restored into ${target.label}: public key SHA-256 ${restored.key.spkiSha256}, the CA's own`,
          restored.journalKeyVouched ? `${target.label}'s journal key is vouched for: it may sign for the CA alone` : `${target.label}'s journal key is not vouched for yet`],
      };
    }
    case 'root.create': {
      const custodians = await openHsm(place, hands);
      const hsmId = requireHsm(place);
      // A key this step generated before an interruption is used, not a second one made.
      const made = core.journal.read(place.sinceSeq).find((e) => e.kind === 'key.generate.done' && e.data['label'] === action.params.ca);
      const spkiSha256 = typeof made?.data['spkiSha256'] === 'string' ? made.data['spkiSha256']
        : (await core.generateKey(hsmId, keySpecOf(action.params.key), action.params.ca)).spkiSha256;
      const ca = await core.exclusive('root certificate', () => createRoot(core.ctx, {
        tokenId: hsmId, keySpkiSha256: spkiSha256, profileId: action.params.profile, subject: action.params.subject, name: action.params.ca,
        ...(action.params.days ? { validityDays: action.params.days } : {}),
      }));
      return {
        artifacts: [{ kind: 'key', name: `${action.params.ca} key`, sha256: spkiSha256 }, { kind: 'certificate', name: ca.subject, sha256: ca.id }],
        ...(custodians ? { custodians } : {}), shown: [`root CA "${ca.name}": ${ca.subject}, valid until ${ca.notAfter}`],
      };
    }
    case 'crl.issue': {
      const custodians = await openHsm(place, hands);
      const ca = caNamed(core, action.params.ca);
      const { record, der } = await core.exclusive('CRL', () => issueCrl(core.ctx, { caId: ca.id, ...(action.params.days ? { nextUpdateDays: action.params.days } : {}) }));
      return {
        artifacts: [{ kind: 'crl', name: `${ca.name} CRL #${record.crlNumber}`, sha256: sha256(der) }],
        ...(custodians ? { custodians } : {}), shown: [`CRL #${record.crlNumber} of "${ca.name}": ${record.entries} revoked, next update ${record.nextUpdate}`],
      };
    }
    case 'request.sign': {
      const dir = requireMedium(place);
      const { name, bytes } = await requestOnMedium(dir);
      const custodians = await openHsm(place, hands);
      const ca = caNamed(core, action.params.ca);
      const [imported] = importRequests(core.ctx, name, bytes);
      const issued = await core.exclusive('certificate', () => issueCertificate(core.ctx, {
        caId: ca.id, requestId: imported!.record.id, profileId: action.params.profile, ...(action.params.days ? { validityDays: action.params.days } : {}),
      }));
      const written = await exportCertificate(core.ctx, { caId: ca.id, serialHex: issued.serialHex, format: 'pem', directory: dir });
      return {
        artifacts: [
          { kind: 'csr', name, sha256: sha256(bytes), path: join(dir, name) },
          { kind: 'certificate', name: issued.subject, sha256: issued.sha256, path: written.path },
        ],
        ...(custodians ? { custodians } : {}), shown: [`signed ${issued.subject}, serial ${issued.serialHex}`, `written: ${written.path}`],
      };
    }
    case 'bundle.create': {
      const dir = requireMedium(place);
      const custodians = await openHsm(place, hands);
      const ca = caNamed(core, action.params.ca);
      // A CA made in this ceremony has no bundle signer yet: one is made on the ceremony's HSM, certified by the CA (never the CA key itself).
      const signer = await findBundleSigner(core.ctx, ca.id).catch(async (e: unknown) => {
        if (!isCustosError(e) || e.code !== 'BUNDLE_SIGNER_NOT_FOUND') throw e;
        await createBundleSigner(core.ctx, { caId: ca.id, tokenId: requireHsm(place) });
        return findBundleSigner(core.ctx, ca.id);
      });
      // The certificates this ceremony signed under the CA go out with it (its own, the chain and the latest CRL always do).
      const serials = core.journal.read().filter((e) => e.kind === 'certificate.issue.done' && e.data['caId'] === ca.id && e.data['profileId'] !== BUNDLE_SIGNER_PROFILE
        && e.seq > place.beginSeq).map((e) => String(e.data['serialHex']));
      const result = await core.exclusive('bundle', () => createBundle(core.ctx, { caId: ca.id, directory: dir, serials, signerSerial: signer.certificate.serialHex }));
      return {
        artifacts: [
          { kind: 'bundle', name: 'manifest (custos-manifest.p7s)', sha256: result.manifestSha256, path: result.path },
          ...result.files.map((f) => ({ kind: 'file', name: f.name, sha256: f.sha256 })),
        ],
        ...(custodians ? { custodians } : {}), shown: [`${result.rehearsal ? 'REHEARSAL bundle' : 'bundle'} written: ${result.path}`],
      };
    }
  }
}

