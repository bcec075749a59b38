/**
 * The ceremony runner's part of the one contract (contract.ts spreads it into
 * `api`): choosing a script, its pre-flight, and a ceremony run one step at a
 * time, each step confirmed by its performer and witnesses. PINs cross only
 * as `pin` fields, once, to the token they open.
 */
import { z } from 'zod';

const Hex = z.string().regex(/^[0-9a-f]*$/, 'lower-case hexadecimal');
const Pin = z.string().min(4).max(64);
const Void = z.void();
const CeremonyId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}-\d{8}T\d{6}Z$/, 'a ceremony id');

/** A script shipped in resources/ceremonies (its file name), or a file the person chose, as its bytes. */
export const CeremonyScriptRef = z.union([
  z.object({ bundled: z.string().regex(/^[a-z0-9][a-z0-9-]*\.json$/, 'the file name of a shipped script') }),
  z.object({ fileName: z.string().min(1).max(255), contentBase64: z.string().max(400 * 1024) }),
]);

export const CeremonyFinding = z.object({ code: z.string(), message: z.string(), step: z.string().optional(), field: z.string() });

export const CeremonyStepView = z.object({
  id: z.string(), performer: z.enum(['administrator', 'custodian', 'witness']), instructions: z.string(), checks: z.array(z.string()),
  quorum: z.boolean(), witnesses: z.number().int(), act: z.string(), signs: z.boolean(),
  /** The HSMs the step's act logs into, each with its own PIN field on the screen: the ceremony's, a secondary, or none. */
  opens: z.array(z.object({ tokenId: z.string(), label: z.string() })).optional(),
});

export const CeremonyArtifactView = z.object({ kind: z.string(), name: z.string(), sha256: Hex, path: z.string().optional() });
export const CeremonyCustodianView = z.object({ chr: z.string(), keySha256: Hex });
const ConfirmationView = z.object({ name: z.string(), role: z.string(), time: z.string() });

/** What a step's act produced, shown for reading aloud before the room confirms it. */
export const CeremonyOutcomeView = z.object({
  index: z.number().int(), artifacts: z.array(CeremonyArtifactView), custodians: z.array(CeremonyCustodianView), shown: z.array(z.string()),
  /** The act had signed before an interruption: recorded from the journal, not run again. */
  fromJournal: z.boolean(),
});

export const CeremonyView = z.object({
  id: CeremonyId, scriptId: z.string(), title: z.string(), version: z.number().int(), scriptSha256: Hex, rehearsal: z.boolean(),
  hsmLabel: z.string().optional(),
  steps: z.array(CeremonyStepView),
  recorded: z.array(z.object({
    index: z.number().int(), step: z.string(), performer: ConfirmationView, witnesses: z.array(ConfirmationView), artifacts: z.array(CeremonyArtifactView),
    custodians: z.array(CeremonyCustodianView), seq: z.number().int(), fromJournal: z.boolean(),
  })),
  /** The step to run next (steps.length once every step is recorded). */
  nextIndex: z.number().int(),
  pending: CeremonyOutcomeView.optional(),
  ended: z.object({ outcome: z.enum(['completed', 'abandoned']), reason: z.string().optional(), seq: z.number().int() }).optional(),
  journalHead: z.string(),
});

export const CeremonyListed = z.object({
  id: CeremonyId, scriptId: z.string(), title: z.string(), scriptSha256: Hex, rehearsal: z.boolean(), stepsRecorded: z.number().int(),
  state: z.enum(['interrupted', 'completed', 'abandoned']),
});

// The screen's DKEK-import step and the PIN of each HSM a step opens: a share's password and a PIN cross once, to the act that uses them.
const Kcv = z.string().regex(/^[0-9a-f]{16}$/, '16 lower-case hex digits');
const ColonHex = z.string().max(64).regex(/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2})*$/, 'hex bytes separated by colons, like 0A:1B');
/** A share file is 64 bytes; a picked file is sent whole, and what is not a share is refused by its size (DKEK_SHARE_MALFORMED). */
const MAX_SHARE_FILE_BASE64 = 4 * 1024;

/** Share k of the step's DKEK import: its file (on the ceremony's medium by path, or picked in the window, as its bytes) and its password or password shares. */
export const CeremonyShareInput = z.object({
  file: z.union([
    z.object({ path: z.string().min(1).max(4096) }),
    z.object({ fileName: z.string().min(1).max(255), contentBase64: z.string().max(MAX_SHARE_FILE_BASE64) }),
  ]),
  password: z.string().min(1).max(256).optional(),
  passwordShares: z.object({ prime: ColonHex, shares: z.array(z.object({ id: z.number().int().min(1).max(255), value: ColonHex })).min(2).max(255) }).optional(),
  /** From the custodian's paper record: the file must open to this share, or nothing is imported. */
  expectedShareKcv: Kcv.optional(),
});

/** The PIN of one HSM the step opens, typed into its own field; confirmFinalTry only when the person ticked that a wrong one blocks it. */
export const CeremonyTokenPin = z.object({ tokenId: z.string().max(256), pin: Pin, confirmFinalTry: z.boolean().optional() });

/** What the screen's DKEK-import step needs: the HSM the shares go into, the share files on the ceremony's medium, and the domain it must join. */
export const CeremonyShareStep = z.object({
  token: z.object({ id: z.string(), label: z.string(), serial: z.string(), virtual: z.boolean() }),
  files: z.array(z.object({ path: z.string(), fileName: z.string(), kind: z.literal('share'), bytes: z.number().int() })),
  /** The ceremony HSM's KCV, when the shares go into a secondary: its domain must come out the same. */
  primaryKcv: Kcv.optional(),
});

const Setting = { script: CeremonyScriptRef, hsmTokenId: z.string().max(256).optional(), mediaDir: z.string().max(4096).optional() };

export const ceremonyApi = {
  /** The scripts shipped with Custos. */
  'ceremony.scripts': { input: Void, output: z.array(z.object({ file: z.string(), id: z.string(), title: z.string(), version: z.number().int(), steps: z.number().int() })) },
  /** Every ceremony the journal holds, and the one begun and not ended, which is to be resumed or abandoned. */
  'ceremony.status': { input: Void, output: z.object({ ceremonies: z.array(CeremonyListed), interrupted: CeremonyListed.optional() }) },
  /** The pre-flight alone: every finding, nothing written. */
  'ceremony.preflight': {
    input: z.object(Setting),
    output: z.object({ title: z.string(), scriptId: z.string(), scriptSha256: Hex, steps: z.number().int(), findings: z.array(CeremonyFinding) }),
  },
  /** Pre-flight, then ceremony.begin; CEREMONY_PREFLIGHT_FAILED (every finding in its details) writes nothing. */
  'ceremony.start': { input: z.object(Setting), output: CeremonyView },
  /** The interrupted ceremony, with the very script it began with (CEREMONY_SCRIPT_CHANGED otherwise). */
  'ceremony.resume': { input: z.object(Setting), output: CeremonyView },
  /** Runs the next step's act (or takes its result from the journal after an interruption); the room then confirms it. */
  'ceremony.runStep': {
    input: z.object({
      ceremony: CeremonyId, pin: Pin.optional(), custodians: z.array(z.object({ tokenId: z.string().max(256), pin: Pin })).max(20).optional(),
      /** One PIN per HSM the step opens (the ceremony's and a secondary); pin alone is the ceremony HSM's. */
      pins: z.array(CeremonyTokenPin).max(4).optional(),
      /** A dkek.import step: the next custodian's share. The step's act takes it, and waits for the next one until the domain is complete. */
      share: CeremonyShareInput.optional(),
    }),
    output: CeremonyView,
  },
  /** The next step's DKEK import on the screen: which HSM, the share files on the medium, the domain to join (CEREMONY_STEP_NOT_RUN when the next step imports no shares). */
  'ceremony.shareStep': { input: z.object({ ceremony: CeremonyId }), output: CeremonyShareStep },
  'ceremony.confirmStep': {
    input: z.object({ ceremony: CeremonyId, performer: z.string().max(200), witnesses: z.array(z.string().max(200)).max(20) }),
    output: CeremonyView,
  },
  'ceremony.complete': { input: z.object({ ceremony: CeremonyId }), output: CeremonyView },
  'ceremony.abandon': { input: z.object({ ceremony: CeremonyId, reason: z.string().min(1).max(1000) }), output: CeremonyView },
} as const;
