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
import { domainStatus, importDkekShareFile, readShareFile } from '../ca/key-domain.ts';
import { journalHeadText } from '../ca/journal-anchor.ts';
import { authenticateCustodian, quorumStatus } from '../quorum/quorum.ts';
import { createBundle } from '../exchange/bundle.ts';
import { createBundleSigner, findBundleSigner, BUNDLE_SIGNER_PROFILE } from '../exchange/bundle-signer.ts';
import { bundleError, verifyBundle } from '../exchange/bundle-verify.ts';
import type { ArtifactRecord, CustodianRecord } from './journal-entries.ts';
import { keySpecOf, requestOnMedium } from './preflight.ts';
import type { Step } from './script-schema.ts';

/** What the runner asks of the people in the room while a step's act runs. Secrets come back as Secrets and are wiped after use. */
export interface CeremonyHands {
  /** The user PIN of the HSM, when it is not logged in. */
  hsmPin(hsmLabel: string): Promise<Secret>;
  /** The next custodian to present a token for the quorum (its token id and the PIN they type), or undefined when no one else comes forward. */
  custodian(hsmLabel: string, status: string): Promise<{ tokenId: string; pin: Secret } | undefined>;
  /** dkek.import: share k of n, as its custodian hands it over: the file and its password. */
  share(k: number, n: number): Promise<{ path: string; password: Secret }>;
}

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

function caNamed(core: Custos, name: string): { id: string; name: string } {
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

async function logIn(place: StepPlace, hands: CeremonyHands): Promise<void> {
  const hsmId = requireHsm(place);
  const token = await place.core.tokens.open(hsmId);
  await token.refresh();
  if (!token.info.loggedIn) await place.core.login(hsmId, await hands.hsmPin(token.info.label));
}

/** For an act that uses the HSM's keys: the quorum (where the HSM has one) and the PIN. */
async function openHsm(place: StepPlace, hands: CeremonyHands): Promise<CustodianRecord[] | undefined> {
  const custodians = await meetQuorum(place, hands);
  await logIn(place, hands);
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
      const hsmId = requireHsm(place);
      let status = await domainStatus(core.ctx, hsmId);
      // After an interruption some shares may be in already: only the outstanding ones are asked for.
      while (!status.complete) {
        const k = status.importedShares + 1;
        const { path, password } = await hands.share(k, status.totalShares);
        status = await importDkekShareFile(core.ctx, { tokenId: hsmId, file: await readShareFile(path), fileName: basename(path), password });
      }
      return { artifacts: [], shown: [`key domain complete: ${status.totalShares} share(s), KCV ${status.kcv}`] };
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
    case 'key.backup':
    case 'key.restore':
      throw new CustosError('CEREMONY_ACT_UNSUPPORTED', `${action.act} is not run by the ceremony runner yet.`, { act: action.act });
  }
}

