/**
 * Certificate profiles: data in resources/profiles/<id>.json, checked on load.
 * A profile decides every extension of what a CA signs; a request only gets
 * to add the extensions its profile names in allowedRequestExtensions.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { CustosError } from '../../errors/index.ts';
import { OID } from '../oids.ts';
import { KEY_PURPOSE_NAMES } from './extensions.ts';

export const DEFAULT_PROFILE_DIR = fileURLToPath(new URL('../../../resources/profiles/', import.meta.url));
/** Nothing Custos signs may outlive 25 years (a root's lifetime), whatever a profile file says. */
export const MAX_VALIDITY_DAYS = 9132;

const OID_PATTERN = /^[0-2](\.(0|[1-9][0-9]*))+$/;
const Oid = z.string().regex(OID_PATTERN, 'must be a dotted OID');
const Url = z.string().regex(/^(https?|ldap):\/\/[^\s]+$/, 'must be an http, https or ldap URL');
const KeyUsageName = z.enum(['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly']);
const PURPOSE_BY_NAME: ReadonlyMap<string, string> = new Map(Object.entries(KEY_PURPOSE_NAMES).map(([oid, name]) => [name, oid]));
const KeyPurpose = z.string().refine((p) => PURPOSE_BY_NAME.has(p) || OID_PATTERN.test(p), 'must be a key purpose name (serverAuth, clientAuth, codeSigning, OCSPSigning …) or a dotted OID');
const Dns = z.string().regex(/^\.?([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]*[a-z0-9])?$/i, 'must be a DNS name (a leading dot limits to subdomains)');
const Email = z.string().regex(/^([^@\s]+@)?\.?[^@\s]+$/, 'must be a mailbox, a host or a .domain');
const Cidr = z.string().regex(/^(\d{1,3}(\.\d{1,3}){3}\/\d{1,2}|[0-9a-f:]+\/\d{1,3})$/i, 'must be an address/prefix (CIDR)');
const Subtrees = z.strictObject({ dns: z.array(Dns).optional(), email: z.array(Email).optional(), ip: z.array(Cidr).optional() });

/** Extensions the profile itself writes: a request can never supply them. */
const PROFILE_CONTROLLED = new Set<string>([OID.basicConstraints, OID.keyUsage, OID.extKeyUsage, OID.subjectKeyIdentifier,
  OID.authorityKeyIdentifier, OID.crlDistributionPoints, OID.authorityInfoAccess, OID.certificatePolicies,
  OID.nameConstraints, OID.ocspNoCheck]);
const RequestExtension = z.string().refine((e) => e === 'subjectAltName' || OID_PATTERN.test(e), 'must be "subjectAltName" or a dotted OID')
  .refine((e) => !PROFILE_CONTROLLED.has(e), 'is written by the profile and cannot be taken from a request');

const ProfileSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lower-case letters, digits and dashes'),
  title: z.string().min(1),
  description: z.string(),
  kind: z.enum(['root', 'ca', 'leaf']),
  validity: z.strictObject({
    defaultDays: z.number().int().positive(),
    maxDays: z.number().int().positive().max(MAX_VALIDITY_DAYS),
  }),
  keyUsage: z.strictObject({ usages: z.array(KeyUsageName).min(1), critical: z.boolean() }),
  extKeyUsage: z.strictObject({ purposes: z.array(KeyPurpose).min(1), critical: z.boolean() }).optional(),
  basicConstraints: z.strictObject({ ca: z.boolean(), pathLen: z.number().int().min(0).optional(), critical: z.boolean() }),
  subjectKeyIdentifier: z.boolean(),
  authorityKeyIdentifier: z.boolean(),
  crlDistributionPoints: z.array(Url).min(1).optional(),
  authorityInfoAccess: z.strictObject({ caIssuers: z.array(Url).optional(), ocsp: z.array(Url).optional() }).optional(),
  certificatePolicies: z.array(Oid).min(1).optional(),
  nameConstraints: z.strictObject({ critical: z.boolean(), permitted: Subtrees.optional(), excluded: Subtrees.optional() }).optional(),
  ocspNoCheck: z.boolean(),
  /** For CA profiles: how this CA's CRLs are issued (RFC 5280 §5.2.5). The IDP must equal the CRL distribution point its certificates name. */
  crl: z.strictObject({ nextUpdateDays: z.number().int().positive().max(3650).optional(), issuingDistributionPoint: Url.optional() }).optional(),
  allowedRequestExtensions: z.array(RequestExtension),
  allowedKeySpecs: z.strictObject({
    rsaBits: z.array(z.union([z.literal(2048), z.literal(3072), z.literal(4096)])),
    ecCurves: z.array(z.enum(['P-256', 'P-384', 'P-521'])),
  }),
  signature: z.strictObject({ hash: z.enum(['SHA-256', 'SHA-384', 'SHA-512']).optional(), scheme: z.enum(['pkcs1', 'pss']).optional() }).optional(),
}).superRefine((p, ctx) => {
  const issue = (path: (string | number)[], message: string): void => { ctx.addIssue({ code: 'custom', path, message }); };
  const isCa = p.kind !== 'leaf';
  if (p.validity.defaultDays > p.validity.maxDays) issue(['validity', 'defaultDays'], 'must not exceed validity.maxDays');
  if (p.basicConstraints.ca !== isCa) issue(['basicConstraints', 'ca'], `must be ${isCa} for a ${p.kind} profile`);
  // RFC 5280 §4.2.1.9: CAs MUST mark basicConstraints critical.
  if (isCa && !p.basicConstraints.critical) issue(['basicConstraints', 'critical'], 'must be true for a CA profile (RFC 5280 §4.2.1.9)');
  if (!isCa && p.basicConstraints.pathLen !== undefined) issue(['basicConstraints', 'pathLen'], 'is only for CA profiles');
  const signsCerts = p.keyUsage.usages.includes('keyCertSign');
  if (isCa && !signsCerts) issue(['keyUsage', 'usages'], 'must include keyCertSign for a CA profile');
  if (!isCa && signsCerts) issue(['keyUsage', 'usages'], 'must not include keyCertSign for a leaf profile');
  if (isCa && !p.subjectKeyIdentifier) issue(['subjectKeyIdentifier'], 'must be true for a CA profile (RFC 5280 §4.2.1.2)');
  if (p.nameConstraints && !isCa) issue(['nameConstraints'], 'is only for CA profiles');
  if (p.crl && !isCa) issue(['crl'], 'is only for CA profiles (a CA issues CRLs)');
  if (p.nameConstraints && !p.nameConstraints.permitted && !p.nameConstraints.excluded) issue(['nameConstraints'], 'needs permitted or excluded subtrees');
  if (p.ocspNoCheck && !p.extKeyUsage?.purposes.some((x) => x === 'OCSPSigning' || x === OID.kpOcspSigning)) issue(['ocspNoCheck'], 'is only for OCSP signer profiles (extKeyUsage OCSPSigning)');
  if (p.allowedKeySpecs.rsaBits.length + p.allowedKeySpecs.ecCurves.length === 0) issue(['allowedKeySpecs'], 'must allow at least one key');
});

export type Profile = z.infer<typeof ProfileSchema>;
export type ProfileKind = Profile['kind'];

export function keyPurposeOid(purpose: string): string {
  return PURPOSE_BY_NAME.get(purpose) ?? purpose;
}

function fieldOf(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') return [...path, issue.keys[0] ?? ''].filter(Boolean).join('.');
  return path.join('.') || '(root)';
}

/** Checks a profile value (parsed JSON); PROFILE_INVALID names the first field at fault. */
export function parseProfile(data: unknown, source = 'profile'): Profile {
  const result = ProfileSchema.safeParse(data);
  if (result.success) return result.data;
  const first = result.error.issues[0]!;
  const field = fieldOf(first);
  const why = first.code === 'unrecognized_keys' ? 'is not a profile field' : first.message;
  throw new CustosError('PROFILE_INVALID', `Profile ${source}: field "${field}" ${why}.`, {
    source, field, problems: result.error.issues.map((i) => `${fieldOf(i)}: ${i.code === 'unrecognized_keys' ? 'unknown field' : i.message}`),
  });
}

/** A profile with some fields changed (a subordinate's pathLen or name constraints), checked again as a whole. */
export function customizeProfile(profile: Profile, changes: Partial<Profile>): Profile {
  return parseProfile({ ...profile, ...changes }, profile.id);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

// Every certificate reads its profile: a file checked once is kept (frozen) until it changes on disk.
const loaded = new Map<string, { readonly stamp: string; readonly profile: Profile }>();

export function loadProfile(id: string, dir: string = DEFAULT_PROFILE_DIR): Profile {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(id)) throw new CustosError('PROFILE_NOT_FOUND', `There is no profile "${id}".`, { profileId: id });
  const file = join(dir, `${id}.json`);
  let stamp: string;
  let text: string;
  try {
    const st = statSync(file, { bigint: true });
    stamp = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    const hit = loaded.get(file);
    if (hit && hit.stamp === stamp) return hit.profile;
    text = readFileSync(file, 'utf8');
  } catch {
    throw new CustosError('PROFILE_NOT_FOUND', `There is no profile "${id}" in ${dir}.`, { profileId: id, dir });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new CustosError('PROFILE_INVALID', `Profile ${id}: the file is not JSON (${(e as Error).message}).`, { source: id, field: '(file)' });
  }
  const profile = parseProfile(data, id);
  if (profile.id !== id) throw new CustosError('PROFILE_INVALID', `Profile ${id}: field "id" must match the file name.`, { source: id, field: 'id' });
  loaded.set(file, { stamp, profile: deepFreeze(profile) });
  return profile;
}

export function loadProfiles(dir: string = DEFAULT_PROFILE_DIR): Profile[] {
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => loadProfile(f.slice(0, -5), dir));
}
