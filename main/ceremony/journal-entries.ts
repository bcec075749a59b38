/**
 * What a ceremony leaves in the journal. The runner writes these entries and
 * the transcript is built from them alone (with the script they name), so a
 * transcript can always be checked against the journal it came from, and a
 * ceremony resumes after a crash from what the journal holds, not from
 * anything kept in memory.
 *
 * Entries of one ceremony share its `ceremony` id. The acts a step runs
 * (root.create, certificate.issue, crl.issue, bundle.create …) write their own
 * intent and result entries as they always do; the step entry that follows
 * names their seqs, so a step is done exactly when its `ceremony.step` entry
 * exists, and an act whose result is journaled but whose step entry is not
 * (a crash between the two) is found by its seq and never run again.
 */

export const CEREMONY_BEGIN_KIND = 'ceremony.begin';
export const CEREMONY_STEP_KIND = 'ceremony.step';
export const CEREMONY_END_KIND = 'ceremony.end';
/** The hash of the transcript made for an ended ceremony, so the transcript can later be matched to the journal. */
export const CEREMONY_TRANSCRIPT_KIND = 'ceremony.transcript';

/** A person in the room, as they gave their name, and when they confirmed (ISO 8601, UTC). */
export interface Confirmation {
  readonly name: string;
  readonly role: 'administrator' | 'custodian' | 'witness';
  readonly time: string;
}

/** Something a step produced or checked, with the SHA-256 people read aloud. */
export interface ArtifactRecord {
  /** What it is: 'certificate', 'crl', 'key', 'bundle', 'backup', 'csr', 'dkek' … */
  readonly kind: string;
  /** What a person calls it: a subject, a file name, a key label. */
  readonly name: string;
  /** Hex SHA-256 of the DER / file / SubjectPublicKeyInfo. */
  readonly sha256: string;
  /** A path on removable media, where the artifact was written or read. */
  readonly path?: string;
}

/** A custodian whose authentication counted for a step's signature. */
export interface CustodianRecord {
  readonly chr: string;
  readonly keySha256: string;
}

/** `ceremony.begin`: written once the whole script has passed its checks, before step one. */
export interface CeremonyBeginData {
  readonly ceremony: string;
  readonly scriptId: string;
  readonly scriptTitle: string;
  readonly scriptVersion: number;
  /** Hex SHA-256 of the script file's bytes as loaded. */
  readonly scriptSha256: string;
  /** True when every token is a rehearsal token: the transcript then says REHEARSAL on every page. */
  readonly rehearsal: boolean;
  /** The journal's head (SEQ and hash) before this entry, and the last signed checkpoint's head at that moment. */
  readonly headBefore: { readonly seq: number; readonly hash: string };
  readonly checkpointBefore?: { readonly seq: number; readonly hash: string };
  /** The HSM the ceremony ran on, by label and serial, and the folder on the medium, where it named them. */
  readonly hsmLabel?: string;
  readonly hsmSerial?: string;
  readonly mediaDir?: string;
}

/** `ceremony.step`: one step done, confirmed by its performer and witnesses. */
export interface CeremonyStepData {
  readonly ceremony: string;
  readonly step: string;
  /** 0-based position in the script. */
  readonly index: number;
  readonly performer: Confirmation;
  readonly witnesses: readonly Confirmation[];
  readonly artifacts: readonly ArtifactRecord[];
  /** For a step that signed under the quorum: who authenticated for it. */
  readonly custodians?: readonly CustodianRecord[];
  /** The seqs of the act entries (intent and result) this step ran. */
  readonly actSeqs: readonly number[];
  /** True when the act had signed before an interruption and the step was recorded from the journal on resume, not run again. */
  readonly recordedFromJournal?: boolean;
}

/** `ceremony.end`: completed after the last step, or abandoned by the operator (never by a crash: that resumes). */
export interface CeremonyEndData {
  readonly ceremony: string;
  readonly outcome: 'completed' | 'abandoned';
  readonly reason?: string;
  /** The journal's head after the last step's entries, and the last signed checkpoint's head then. */
  readonly headAfter: { readonly seq: number; readonly hash: string };
  readonly checkpointAfter?: { readonly seq: number; readonly hash: string };
}

/** `ceremony.transcript`: the transcript made for an ended ceremony. */
export interface CeremonyTranscriptData {
  readonly ceremony: string;
  /** Hex SHA-256 of the transcript JSON's bytes. */
  readonly jsonSha256: string;
  /** Hex SHA-256 of the PDF's bytes, where one was made. */
  readonly pdfSha256?: string;
}
