/**
 * CVC profiles: data in resources/profiles/cvc/<id>.json beside the X.509
 * ones, checked on load by a strict schema. A profile decides the holder's
 * role, terminal type and default authorizations, how long it may be valid,
 * whether its key carries the curve's domain parameters (a CVCA's does; a DV's
 * or terminal's inherits the CVCA's, TR-03110 part 3 §D.3.3), and which
 * signature algorithms its key may name.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { CustosError } from '../errors/index.ts';
import { CVC_OID, cvcAlgorithm } from '../pki/cvc/cvc.ts';
import { AUTHORIZATION_BITS, CVC_ROLES, TERMINAL_TYPES, type TerminalType } from './chat.ts';

export const DEFAULT_CVC_PROFILE_DIR = fileURLToPath(new URL('../../resources/profiles/cvc/', import.meta.url));

const SIGNATURE_NAMES = Object.keys(CVC_OID).filter((name) => cvcAlgorithm(CVC_OID[name as keyof typeof CVC_OID]) !== undefined) as (keyof typeof CVC_OID)[];
const ALL_AUTHORIZATIONS = new Set(Object.values(AUTHORIZATION_BITS).flatMap((bits) => Object.keys(bits)));

const CvcProfileSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lower-case letters, digits and dashes'),
  title: z.string().min(1),
  description: z.string(),
  role: z.enum(CVC_ROLES),
  /** A CVCA certificate signed by the previous CVCA key (rollover), not self-signed. */
  link: z.boolean(),
  /** null: the issuer's terminal type. */
  terminalType: z.enum(Object.keys(TERMINAL_TYPES) as [TerminalType, ...TerminalType[]]).nullable(),
  validity: z.strictObject({ defaultDays: z.number().int().positive(), maxDays: z.number().int().positive().max(3653) })
    .refine((v) => v.defaultDays <= v.maxDays, 'defaultDays must not exceed maxDays'),
  domainParameters: z.boolean(),
  /** The relative authorizations granted unless the operator names others; "issuer": the issuer's own. */
  authorizations: z.union([z.literal('issuer'), z.array(z.string().refine((a) => ALL_AUTHORIZATIONS.has(a), 'is not an authorization name'))]),
  signatureAlgorithms: z.array(z.enum(SIGNATURE_NAMES as [keyof typeof CVC_OID, ...(keyof typeof CVC_OID)[]])).min(1),
}).refine((p) => !p.link || p.role === 'cvca', { message: 'only a CVCA profile can make link certificates', path: ['link'] })
  .refine((p) => p.role !== 'cvca' || p.link || p.terminalType !== null, { message: 'a self-signed CVCA names its terminal type', path: ['terminalType'] })
  .refine((p) => p.terminalType === null || p.authorizations === 'issuer' || p.authorizations.every((a) => a in AUTHORIZATION_BITS[p.terminalType!]),
    { message: 'names an authorization its terminal type does not have', path: ['authorizations'] });

export type CvcProfile = z.output<typeof CvcProfileSchema>;

export function parseCvcProfile(data: unknown, source = 'profile'): CvcProfile {
  const result = CvcProfileSchema.safeParse(data);
  if (result.success) return result.data;
  const first = result.error.issues[0]!;
  const field = first.code === 'unrecognized_keys' ? [...first.path.map(String), first.keys[0] ?? ''].filter(Boolean).join('.') : first.path.map(String).join('.') || '(root)';
  throw new CustosError('PROFILE_INVALID', `CVC profile ${source}: field "${field}" ${first.code === 'unrecognized_keys' ? 'is not a profile field' : first.message}.`, { source, field });
}

export function loadCvcProfile(id: string, dir: string = DEFAULT_CVC_PROFILE_DIR): CvcProfile {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(id)) throw new CustosError('PROFILE_NOT_FOUND', `There is no CVC profile "${id}".`, { profileId: id });
  let text: string;
  try {
    text = readFileSync(join(dir, `${id}.json`), 'utf8');
  } catch {
    throw new CustosError('PROFILE_NOT_FOUND', `There is no CVC profile "${id}" in ${dir}.`, { profileId: id, dir });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new CustosError('PROFILE_INVALID', `CVC profile ${id}: the file is not JSON (${(e as Error).message}).`, { source: id, field: '(file)' });
  }
  const profile = parseCvcProfile(data, id);
  if (profile.id !== id) throw new CustosError('PROFILE_INVALID', `CVC profile ${id}: field "id" must match the file name.`, { source: id, field: 'id' });
  return profile;
}

export function loadCvcProfiles(dir: string = DEFAULT_CVC_PROFILE_DIR): CvcProfile[] {
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => loadCvcProfile(f.slice(0, -5), dir));
}

/** The OID of a signature algorithm name a profile lists. */
export function signatureOid(name: CvcProfile['signatureAlgorithms'][number]): string {
  return CVC_OID[name];
}
