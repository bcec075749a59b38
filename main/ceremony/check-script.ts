/**
 * The check of a script against the data directory that needs no token, run
 * at a desk before the room gathers: step ids are unique, every performer's
 * role is one the script brings and enough witnesses are in the room, every
 * profile resolves and fits its act (its kind, the key a new root gets, the
 * days asked, within the issuer's own end), every CA a step names is in the journal
 * or made by an earlier step (and none is made twice), and the quorum is
 * asked only for a step that signs, since a quorum demanded of an act that
 * signs nothing protects nothing and misleads the custodians.
 */
import { isCustosError } from '../errors/index.ts';
import type { CaContext } from '../ca/context.ts';
import { DEFAULT_PROFILE_DIR, loadProfile, type Profile, type ProfileKind } from '../pki/x509/profiles.ts';
import { validityFor } from '../pki/x509/tbs.ts';
import type { ScriptFinding } from './load-script.ts';
import { actSigns, type Script } from './script-schema.ts';

export interface ScriptSurroundings {
  /** The names of the CAs the journal holds. */
  readonly caNames: ReadonlySet<string>;
  readonly profileDir?: string;
  /** When each CA of the journal ends, by name: a certificate or CRL a step signs must not outlive its issuer. */
  readonly caNotAfter?: ReadonlyMap<string, Date>;
  /** When the ceremony is to be held (default: now). */
  readonly now?: Date;
}

/** The profile kinds each act that names a profile may use. */
const PROFILE_KINDS: Partial<Record<Script['steps'][number]['action']['act'], readonly ProfileKind[]>> = {
  'root.create': ['root'],
  'request.sign': ['ca', 'leaf'],
};

function allowedKeys(profile: Profile): string[] {
  return [...profile.allowedKeySpecs.ecCurves.map((c) => `ec:${c}`), ...profile.allowedKeySpecs.rsaBits.map((b) => `rsa:${b}`)];
}

/** A key type as a script writes it (ec:P-384, rsa:3072), which the profile must take: the root's key is made before its certificate is. */
function keyAllowed(key: string, profile: Profile): boolean {
  return allowedKeys(profile).includes(key);
}

export function checkScript(script: Script, around: ScriptSurroundings): ScriptFinding[] {
  const findings: ScriptFinding[] = [];
  const profileDir = around.profileDir ?? DEFAULT_PROFILE_DIR;
  const people = new Map<string, number>();
  for (const [i, r] of script.roles.entries()) {
    if (people.has(r.role)) findings.push({ code: 'CEREMONY_FIELD_INVALID', field: `roles.${i}.role`, message: `The script lists the role ${r.role} twice: give it once, with its number of people.` });
    people.set(r.role, (people.get(r.role) ?? 0) + r.people);
  }
  const seenSteps = new Set<string>();
  const made = new Set<string>();
  const ends = new Map(around.caNotAfter ?? []);
  const now = around.now ?? new Date();
  for (const step of script.steps) {
    const at = (field: string, code: ScriptFinding['code'], message: string): void => { findings.push({ code, step: step.id, field, message: `Step "${step.id}": ${message}` }); };
    if (seenSteps.has(step.id)) at('id', 'CEREMONY_STEP_DUPLICATE', 'another step has this id; each step needs its own, since the journal and the transcript name steps by id.');
    seenSteps.add(step.id);

    if (!people.has(step.performer)) at('performer', 'CEREMONY_ROLE_UNDEFINED', `its performer is a ${step.performer}, and the script's roles bring none into the room.`);
    const witnesses = people.get('witness') ?? 0;
    if (step.witnesses > witnesses) at('witnesses', 'CEREMONY_WITNESSES_SHORT', `it needs ${step.witnesses} witnesses and the script's roles bring ${witnesses}.`);

    const { action } = step;
    if (step.quorum && !actSigns(action.act)) at('quorum', 'CEREMONY_QUORUM_NOT_SIGNING', `it asks for the quorum, but ${action.act} signs nothing; the quorum is for a step that signs.`);

    const kinds = PROFILE_KINDS[action.act];
    if (kinds && 'profile' in action.params) {
      const id = action.params.profile;
      try {
        const profile = loadProfile(id, profileDir);
        if (!kinds.includes(profile.kind)) at('action.params.profile', 'CEREMONY_PROFILE_KIND', `the profile ${id} makes ${profile.kind} certificates, and ${action.act} takes a ${kinds.join(' or ')} profile.`);
        // The same validity rule issuance applies (tbs.ts), against the issuer's end as the journal or an earlier step has it.
        const issuerEnd = action.act === 'request.sign' ? ends.get(action.params.ca) : undefined;
        try {
          const { notAfter } = validityFor(profile, action.params.days, issuerEnd, now);
          if (action.act === 'root.create') ends.set(action.params.ca, notAfter);
        } catch (e) {
          if (!isCustosError(e)) throw e;
          if (e.code === 'VALIDITY_EXCEEDS_ISSUER') at('action.params.days', 'CEREMONY_VALIDITY_EXCEEDS_ISSUER', `the certificate would outlive the CA ${action.params.ca} that signs it. ${e.message}`);
          else at('action.params.days', 'CEREMONY_VALIDITY_TOO_LONG', e.message);
        }
        if (action.act === 'root.create' && !keyAllowed(action.params.key, profile)) {
          at('action.params.key', 'CEREMONY_KEY_NOT_ALLOWED', `the profile ${id} does not certify ${action.params.key} keys; it takes ${allowedKeys(profile).join(', ')}.`);
        }
      } catch (e) {
        if (!isCustosError(e)) throw e;
        at('action.params.profile', 'CEREMONY_PROFILE_UNKNOWN', `the profile ${id} does not resolve: ${e.message}`);
      }
    }

    if (action.act === 'crl.issue') {
      const end = ends.get(action.params.ca);
      // A CRL's next update is cut back to its issuer's end; an issuer already ended can sign none.
      if (end && end.getTime() <= now.getTime()) at('action.params.ca', 'CEREMONY_VALIDITY_EXCEEDS_ISSUER', `the CA ${action.params.ca} ended on ${end.toISOString()} and can sign no CRL; renew it first.`);
    }

    const ca = 'ca' in action.params ? action.params.ca : undefined;
    if (ca !== undefined) {
      if (action.act === 'root.create') {
        if (around.caNames.has(ca)) at('action.params.ca', 'CEREMONY_CA_EXISTS', `the journal already holds a CA named "${ca}"; a ceremony makes a new root under a new name.`);
        else if (made.has(ca)) at('action.params.ca', 'CEREMONY_CA_EXISTS', `an earlier step already makes the CA "${ca}".`);
        made.add(ca);
      } else if (!around.caNames.has(ca) && !made.has(ca)) {
        at('action.params.ca', 'CEREMONY_CA_UNKNOWN', `it names the CA "${ca}", which is neither in the journal nor made by an earlier step.`);
      }
    }
  }
  return findings;
}

/** The same check against the CAs of an opened data directory. */
export function checkScriptInDataDir(script: Script, ctx: Pick<CaContext, 'state' | 'profileDir' | 'now'>): ScriptFinding[] {
  const cas = [...ctx.state.cas.values()];
  return checkScript(script, {
    caNames: new Set(cas.map((c) => c.name)), caNotAfter: new Map(cas.map((c) => [c.name, new Date(c.notAfter)])), now: ctx.now(),
    ...(ctx.profileDir ? { profileDir: ctx.profileDir } : {}),
  });
}
