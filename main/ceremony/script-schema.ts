/**
 * A ceremony script as data: who takes part, and the steps in order, each
 * naming its performer, what the operator reads out, the one act it runs
 * with that act's parameters, what the people in the room check, whether it
 * needs the quorum, and how many witnesses confirm it. Strict: a field this
 * version does not know is refused, not ignored, because a misspelt
 * "quorum" must not silently turn into a step without one.
 */
import { z } from 'zod';

export const SCRIPT_FORMAT = 'custos-ceremony/1';

/** The people a step can be performed by; a witness only watches and confirms, and may also perform a check. */
export const ROLES = ['administrator', 'custodian', 'witness'] as const;
export type Role = (typeof ROLES)[number];

const Slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be lower-case letters, digits and hyphens (at most 64)');
const CaName = z.string().min(1).max(200);
const ProfileId = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be a profile id (the file name in resources/profiles without .json)');
const KeyType = z.string().regex(/^(ec:P-(256|384|521)|rsa:(2048|3072|4096))$/, 'must be ec:P-256|P-384|P-521 or rsa:2048|3072|4096');
const Days = z.number().int().min(1).max(9132);
const Text = z.string().min(1).max(4000);
/** A second HSM in the room, by the label it shows (or its id): the secondary a key is restored into. */
const TokenLabel = z.string().min(1).max(200);

/**
 * The acts a step may run, each with its own parameters. `signs` marks the
 * acts that make a signature with a key on a token (a certificate, a CRL, a
 * bundle's manifest): only those may need the quorum.
 */
export const ACTS = {
  'root.create': { signs: true, params: z.strictObject({ ca: CaName, profile: ProfileId, subject: Text, key: KeyType, days: Days.optional() }) },
  'request.sign': { signs: true, params: z.strictObject({ ca: CaName, profile: ProfileId, from: z.literal('removable-media'), days: Days.optional() }) },
  'crl.issue': { signs: true, params: z.strictObject({ ca: CaName, days: Days.optional() }) },
  'bundle.create': { signs: true, params: z.strictObject({ ca: CaName }) },
  'key.backup': { signs: false, params: z.strictObject({ ca: CaName }) },
  // token: the secondary HSM; without it, the ceremony's HSM (which a restore of its own key then refuses).
  'key.restore': { signs: false, params: z.strictObject({ ca: CaName, token: TokenLabel.optional() }) },
  // token: another HSM than the ceremony's takes the shares (a secondary joining the key domain).
  'dkek.import': { signs: false, params: z.strictObject({ shares: z.number().int().min(1).max(16), token: TokenLabel.optional() }) },
  // Without a CA: the quorum opens the token itself, as before a root key exists.
  'quorum.auth': { signs: false, params: z.strictObject({ ca: CaName.optional() }) },
  check: { signs: false, params: z.strictObject({ check: z.enum(['tokens.present', 'journal.verify', 'dkek.kcv', 'media.removable', 'bundle.verify', 'fingerprints.read']) }) },
} as const;

export type ActName = keyof typeof ACTS;
export const ACT_NAMES = Object.keys(ACTS) as ActName[];

export function actSigns(act: ActName): boolean {
  return ACTS[act].signs;
}

/** An act with the parameters its entry in ACTS takes. */
export type Action = { [A in ActName]: { act: A; params: z.infer<(typeof ACTS)[A]['params']> } }[ActName];

/** One act and its parameters; the act names which parameters it takes. */
const Action = z.discriminatedUnion('act', ACT_NAMES.map((act) => z.strictObject({ act: z.literal(act), params: ACTS[act].params })) as unknown as
  [z.ZodObject<{ act: z.ZodLiteral<ActName> }>, ...z.ZodObject<{ act: z.ZodLiteral<ActName> }>[]]) as unknown as z.ZodType<Action>;

export const Step = z.strictObject({
  id: Slug,
  performer: z.enum(ROLES),
  instructions: Text,
  action: Action,
  /** What the people in the room check before the step counts as done, each read out as written. */
  checks: z.array(Text).min(1).max(20),
  quorum: z.boolean(),
  witnesses: z.number().int().min(0).max(20),
});

export const Participant = z.strictObject({
  role: z.enum(ROLES),
  /** How many people take this role in the room. */
  people: z.number().int().min(1).max(20),
  description: Text.optional(),
});

export const Script = z.strictObject({
  format: z.literal(SCRIPT_FORMAT),
  id: Slug,
  title: z.string().min(1).max(200),
  version: z.number().int().min(1),
  description: Text.optional(),
  roles: z.array(Participant).min(1).max(3),
  steps: z.array(Step).min(1).max(200),
});

export type Script = z.infer<typeof Script>;
export type Step = z.infer<typeof Step>;
