/**
 * The bundle signer: a key on a token that the CA certifies under the
 * bundle-signer profile (id-kp-documentSigning), and that alone signs bundle
 * manifests. Never the CA key: a signer can be revoked and replaced by a
 * CRL without touching the CA, and a verifier refuses a manifest the CA key
 * signed itself.
 *
 * Making one is the CA's ordinary issuance: the key signs its own request
 * on the token (proof of possession, the same checks as a request from a
 * medium), the request is imported, and the certificate is planned, linted,
 * journaled and signed by issueCertificate.
 */
import { CustosError } from '../errors/index.ts';
import { tokenRecord, type KeyRef, type KeySpec, type Token } from '../hsm/token.ts';
import { JOURNAL_KEY_LABEL } from '../journal/checkpoint.ts';
import { signAlgorithmFor } from '../pki/x509/algorithms.ts';
import { describeCertificate } from '../pki/x509/preview.ts';
import { requireCa, type CaContext } from '../ca/context.ts';
import { requestForKey } from '../ca/key-request.ts';
import { importRequests } from '../ca/requests.ts';
import { issueCertificate } from '../ca/issue.ts';
import { parseSubject } from '../ca/subject.ts';
import type { IssuedRecord } from '../ca/state.ts';

export const BUNDLE_SIGNER_PROFILE = 'bundle-signer';
export const BUNDLE_SIGNER_LABEL = 'bundle signer';
const DEFAULT_SIGNER_KEY: KeySpec = { kind: 'ec', curve: 'P-256' };

export interface SignerRequest {
  readonly caId: string;
  /** The token that holds (or will hold) the signer key. */
  readonly tokenId: string;
  /** An existing key on that token; without it a new one is generated. */
  readonly keySpkiSha256?: string;
  readonly keySpec?: KeySpec;
  readonly label?: string;
  readonly subject?: string;
  readonly validityDays?: number;
}

/** A key that must never sign bundles: a CA's key, or a journal key. */
function refuseReservedKey(ctx: CaContext, key: KeyRef): void {
  const ca = [...ctx.state.cas.values()].find((c) => c.keySpkiSha256 === key.spkiSha256);
  if (ca) {
    throw new CustosError('BUNDLE_SIGNER_IS_CA', `That key is the key of CA "${ca.name}": a bundle is signed by a key of its own, never by a CA key. Generate a new key for the bundle signer.`, { spkiSha256: key.spkiSha256 });
  }
  if (key.label === JOURNAL_KEY_LABEL || ctx.state.journalKeys.has(key.spkiSha256)) {
    throw new CustosError('INPUT_INVALID', 'That key is a journal key, which signs only the journal\'s checkpoints: generate a new key for the bundle signer.', { spkiSha256: key.spkiSha256 });
  }
}

async function signerKey(ctx: CaContext, token: Token, req: SignerRequest): Promise<KeyRef> {
  if (req.keySpkiSha256 !== undefined) {
    const key = await token.findKey(req.keySpkiSha256);
    if (!key) throw new CustosError('KEY_NOT_FOUND', `${token.info.label} holds no key with SHA-256 ${req.keySpkiSha256.slice(0, 16)}…`, { spkiSha256: req.keySpkiSha256 });
    return key;
  }
  const spec = req.keySpec ?? DEFAULT_SIGNER_KEY;
  const label = req.label ?? BUNDLE_SIGNER_LABEL;
  const intent = ctx.journal.begin('key.generate', { spec: { ...spec }, label, purpose: 'bundle-signer' }, tokenRecord(token.info));
  const key = await ctx.journal.settle(intent, () => token.generateKeyPair(spec, label));
  ctx.journal.complete(intent, { keyId: key.id, spkiSha256: key.spkiSha256, label: key.label });
  return key;
}

/** Makes a bundle signer for a CA: the key (found or generated on the token), its request, its certificate. */
export async function createBundleSigner(ctx: CaContext, req: SignerRequest): Promise<IssuedRecord> {
  const ca = requireCa(ctx, req.caId);
  const token = await ctx.tokens.open(req.tokenId);
  const key = await signerKey(ctx, token, req);
  refuseReservedKey(ctx, key);
  const subject = parseSubject(req.subject ?? `CN=${ca.name.replace(/[,+="\\<>#;]/g, ' ')} bundle signer`);
  const csrDer = await requestForKey(token.signer(key), subject, signAlgorithmFor(key.spec));
  const [imported] = importRequests(ctx, 'bundle-signer.csr', csrDer);
  if (!imported) throw new CustosError('INTERNAL', 'The bundle signer\'s request was not read back.', {});
  return issueCertificate(ctx, {
    caId: ca.id, requestId: imported.record.id, csr: imported.csr, profileId: BUNDLE_SIGNER_PROFILE,
    ...(req.validityDays !== undefined ? { validityDays: req.validityDays } : {}),
  });
}

export interface BundleSigner {
  readonly certificate: IssuedRecord;
  readonly token: Token;
  readonly key: KeyRef;
}

/**
 * The CA's bundle signer whose key is on an open token: the newest
 * certificate under the bundle-signer profile that is neither revoked nor
 * expired (or the one serialHex names). BUNDLE_SIGNER_NOT_FOUND otherwise.
 */
export async function findBundleSigner(ctx: CaContext, caId: string, serialHex?: string): Promise<BundleSigner> {
  const ca = requireCa(ctx, caId);
  const now = ctx.now().toISOString();
  const revoked = ctx.state.revoked.get(ca.id);
  const candidates = [...(ctx.state.issued.get(ca.id)?.values() ?? [])]
    .filter((r) => r.profileId === BUNDLE_SIGNER_PROFILE && !revoked?.has(r.serialHex) && r.notAfter > now && r.notBefore <= now)
    .filter((r) => serialHex === undefined || r.serialHex === serialHex.toLowerCase().replace(/^(00)+(?=[0-9a-f]{2})/, ''))
    .sort((a, b) => b.issuedAt.localeCompare(a.issuedAt));
  for (const certificate of candidates) {
    const found = await ctx.tokens.findKey(describeCertificate(certificate.certDer).subjectPublicKey.spkiSha256);
    if (found) return { certificate, token: found.token, key: found.key };
  }
  throw new CustosError('BUNDLE_SIGNER_NOT_FOUND', candidates.length === 0
    ? `CA "${ca.name}" has no valid bundle signer${serialHex ? ` with serial ${serialHex}` : ''}: make one (custos bundle signer --ca ${ca.name} --token LABEL).`
    : `The key of CA "${ca.name}"'s bundle signer is on no open token: insert the token that holds it and log in.`, { caId: ca.id });
}
