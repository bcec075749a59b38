/**
 * CV requests and certificates brought in from removable media. A request's
 * inner signature proves its holder has the key; an authenticated request's
 * outer signature says who vouches for it: a SmartCard-HSM's device key
 * (checked with the device chain that came with it, up to CardContact's SRCA
 * or the rehearsal root), or a certificate this authority holds (a renewal).
 * Every failure is its own code: the TLV and CVC decoders' (lengths that lie,
 * trailing bytes, dates, holder references, OIDs), CVC_INNER_SIGNATURE_INVALID,
 * CVC_OUTER_SIGNATURE_INVALID. Nothing is recorded unless every check passed.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { CustosError } from '../errors/index.ts';
import { decodeCvCertificate, decodeCvRequest, verifyCvcSignature, type CvCertificate, type CvRequest } from '../pki/cvc/cvc.ts';
import { decodeTlvList } from '../pki/cvc/tlv.ts';
import { verifyDeviceCertificates } from '../hsm/sc-hsm/device.ts';
import type { Journal } from '../journal/index.ts';
import { describeCvcBody, spkiSha256Of, type CvcBodyView } from './describe.ts';
import { issuerAmong, keySpecOfCvcKey, requireCurve, resolvedKey } from './keys.ts';
import { chatWiderThan, roleOfChat, terminalTypeOfOid } from './chat.ts';
import { cvcStateOf, type AttestationStatus, type CvcCertificateRecord, type CvcRequestRecord } from './state.ts';

/** Nothing CVC comes close: an RSA-4096 request with a device chain is under 3 KiB. */
export const MAX_CVC_FILE_BYTES = 64 * 1024;

export interface CvcRequestInspection {
  readonly id: string;
  readonly kind: 'plain' | 'authenticated';
  readonly body: CvcBodyView;
  readonly outerCar?: string;
  readonly attestation: AttestationStatus;
  /** The device chain's CHRs, root first. */
  readonly attestationPath: readonly string[];
  readonly keySpkiSha256: string;
  readonly request: CvRequest;
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function checkSize(bytes: Uint8Array, what: string): void {
  if (bytes.length === 0) throw new CustosError('FILE_TRUNCATED', `The ${what} file is empty.`, {});
  if (bytes.length > MAX_CVC_FILE_BYTES) throw new CustosError('FILE_TOO_LARGE', `The ${what} file has ${bytes.length} bytes; a CV ${what} is far smaller (at most ${MAX_CVC_FILE_BYTES}).`, { bytes: bytes.length });
}

function outerInvalid(request: CvRequest, by: string): never {
  throw new CustosError('CVC_OUTER_SIGNATURE_INVALID',
    `The outer signature of request ${request.inner.body.chr} does not verify with the key of ${by}: the request was altered, or it is not the one ${request.outerCar ?? ''} made. Nothing was imported.`,
    { chr: request.inner.body.chr, outerCar: request.outerCar ?? null });
}

/** The outer signature against a device chain (EF 2F02 content): its status and path. */
function checkDeviceChain(request: CvRequest, deviceChain: Uint8Array): { attestation: AttestationStatus; path: string[] } {
  const identity = verifyDeviceCertificates(deviceChain);
  if (identity.deviceChr !== request.outerCar) {
    throw new CustosError('CVC_ISSUER_UNKNOWN',
      `The device chain is for ${identity.deviceChr}, but request ${request.inner.body.chr} was signed by ${request.outerCar ?? '(none)'}: bring that device's chain.`,
      { deviceChr: identity.deviceChr, outerCar: request.outerCar ?? null });
  }
  if (!verifyCvcSignature(request.outerSignedRaw!, request.outerSignature!, identity.devicePublicKey)) outerInvalid(request, `device ${identity.deviceChr}`);
  const device = identity.chain[0]!;
  const attestation: AttestationStatus = identity.attestation === 'cardcontact' ? 'cardcontact'
    : identity.attestation === 'virtual' ? 'rehearsal'
      : device.body.car === device.body.chr ? 'self-issued' : 'unknown-root';
  return { attestation, path: [...identity.path] };
}

/**
 * Reads and checks a request (pure: nothing is recorded). known: the CV
 * certificates at hand, for a request whose outer CAR names one.
 */
export function inspectCvcRequest(bytes: Uint8Array, options: { readonly deviceChain?: Uint8Array; readonly known?: readonly CvCertificate[] } = {}): CvcRequestInspection {
  checkSize(bytes, 'request');
  const request = decodeCvRequest(bytes);
  const inner = request.inner;
  const key = inner.body.publicKey;
  if (key.kind === 'ec' && key.curve === undefined) {
    throw new CustosError('CVC_MALFORMED', `Request ${inner.body.chr} carries its EC point without domain parameters: its inner signature cannot be checked.`, { chr: inner.body.chr });
  }
  if (!verifyCvcSignature(inner.bodyRaw, inner.signature, key)) {
    throw new CustosError('CVC_INNER_SIGNATURE_INVALID',
      `The inner signature of request ${inner.body.chr} does not verify with the key it carries: whoever made it does not hold that key, or the request was altered. Nothing was imported.`,
      { chr: inner.body.chr });
  }
  let attestation: AttestationStatus = 'plain';
  let path: string[] = [];
  if (request.outerCar !== undefined) {
    const known = (options.known ?? []).filter((c) => c.body.chr === request.outerCar);
    if (known.length > 0) {
      const all = options.known ?? [];
      if (!known.some((c) => verifyCvcSignature(request.outerSignedRaw!, request.outerSignature!, requireCurve(resolvedKey(c, all), c.body.chr)))) outerInvalid(request, request.outerCar);
      attestation = 'authority';
      path = [request.outerCar];
    } else if (options.deviceChain !== undefined) {
      ({ attestation, path } = checkDeviceChain(request, options.deviceChain));
    } else {
      attestation = 'chain-missing';
    }
  }
  return {
    id: sha256Hex(request.raw), kind: request.outerCar === undefined ? 'plain' : 'authenticated',
    body: describeCvcBody(inner.body), ...(request.outerCar !== undefined ? { outerCar: request.outerCar } : {}),
    attestation, attestationPath: path, keySpkiSha256: spkiSha256Of(key), request,
  };
}

export function knownCertificates(journal: Journal): CvCertificate[] {
  return [...cvcStateOf(journal).certificates.values()].map((c) => decodeCvCertificate(c.raw));
}

/** Checks a request (and its device chain) and records it in the journal; one imported before is returned as it was. */
export function importCvcRequest(journal: Journal, fileName: string, bytes: Uint8Array, deviceChain?: Uint8Array): { record: CvcRequestRecord; inspection: CvcRequestInspection } {
  if (deviceChain !== undefined) checkSize(deviceChain, 'device chain');
  const inspection = inspectCvcRequest(bytes, { ...(deviceChain ? { deviceChain } : {}), known: knownCertificates(journal) });
  const state = cvcStateOf(journal);
  const known = state.requests.get(inspection.id);
  // A request imported before without its chain gets it now: imported again, with the better status.
  if (known && !(known.attestation === 'chain-missing' && inspection.attestation !== 'chain-missing')) return { record: known, inspection };
  const b = inspection.body;
  journal.append('cvc.request.import', {
    requestId: inspection.id, fileName: basename(fileName), request: Buffer.from(inspection.request.raw).toString('base64'),
    chr: b.chr, ...(b.car !== undefined ? { car: b.car } : {}), ...(inspection.outerCar !== undefined ? { outerCar: inspection.outerCar } : {}),
    attestation: inspection.attestation, attestationPath: [...inspection.attestationPath], keySpkiSha256: inspection.keySpkiSha256,
    ...(deviceChain !== undefined && inspection.attestationPath.length > 0 ? { deviceChain: Buffer.from(deviceChain).toString('base64') } : {}),
  });
  return { record: cvcStateOf(journal).requests.get(inspection.id)!, inspection };
}

export function requireCvcRequest(journal: Journal, requestId: string): CvcRequestRecord {
  const state = cvcStateOf(journal);
  const found = state.requests.get(requestId) ?? [...state.requests.values()].find((r) => r.chr === requestId || r.id.startsWith(requestId));
  if (!found) throw new CustosError('CVC_REQUEST_NOT_FOUND', `No CV request "${requestId}" was imported: import it first (custos cvc show --request FILE --import).`, { requestId });
  return found;
}

/**
 * Checks one or more CV certificates (a file may hold a chain, concatenated)
 * against each other and the certificates at hand: each must be self-signed
 * or signed by one of them, every signature must verify, and no CHAT may be
 * wider than its issuer's. Returns them issuer first.
 */
export function checkCvcCertificates(bytes: Uint8Array, known: readonly CvCertificate[]): CvCertificate[] {
  checkSize(bytes, 'certificate');
  const list = decodeTlvList(bytes).map((t) => decodeCvCertificate(t.raw));
  if (list.length === 0) throw new CustosError('CVC_MALFORMED', 'The file holds no CV certificate.', {});
  const all = [...known, ...list];
  const ordered: CvCertificate[] = [];
  const pending = [...list];
  while (pending.length > 0) {
    const next = pending.findIndex((c) => {
      const issuer = issuerAmong(c, all);
      return issuer !== undefined && (issuer === c || !pending.includes(issuer));
    });
    if (next < 0) {
      const orphan = pending[0]!;
      throw new CustosError('CVC_ISSUER_UNKNOWN', `No certificate for ${orphan.body.car ?? '(no CAR)'}, the issuer of CV certificate ${orphan.body.chr}: import the issuer's certificate first, or with it.`, { chr: orphan.body.chr, car: orphan.body.car ?? null });
    }
    const cert = pending.splice(next, 1)[0]!;
    const issuer = issuerAmong(cert, all)!;
    const issuerKey = requireCurve(resolvedKey(issuer, all), issuer.body.chr);
    if (!verifyCvcSignature(cert.bodyRaw, cert.signature, issuerKey)) {
      throw new CustosError('CVC_SIGNATURE_INVALID', `The signature on CV certificate ${cert.body.chr} does not verify with the key of ${issuer.body.chr}.`, { chr: cert.body.chr, car: issuer.body.chr });
    }
    if (issuer !== cert && cert.body.chat && issuer.body.chat) {
      const wider = chatWiderThan(cert.body.chat, issuer.body.chat);
      if (wider !== undefined) throw new CustosError('CVC_CHAT_EXCEEDS_ISSUER', `CV certificate ${cert.body.chr} claims more than its issuer ${issuer.body.chr}: ${wider}.`, { chr: cert.body.chr, car: issuer.body.chr });
    }
    ordered.push(cert);
  }
  return ordered;
}

/** Imports CV certificates made elsewhere (another CVCA, cvc-create) after checkCvcCertificates; each recorded once. */
export function importCvcCertificates(journal: Journal, fileName: string, bytes: Uint8Array): CvcCertificateRecord[] {
  const knownCerts = knownCertificates(journal);
  const ordered = checkCvcCertificates(bytes, knownCerts);
  const all = [...knownCerts, ...ordered];
  return ordered.map((cert) => {
    const id = sha256Hex(cert.raw);
    const state = cvcStateOf(journal);
    const existing = state.certificates.get(id);
    if (existing) return existing;
    const issuer = issuerAmong(cert, all);
    const issuerId = issuer && issuer !== cert ? sha256Hex(issuer.raw) : undefined;
    const key = resolvedKey(cert, all);
    const spec = key.kind === 'ec' && key.curve === undefined ? undefined : keySpecOfCvcKey(key);
    const d = describeCvcBody(cert.body, key);
    journal.append('cvc.certificate.import', {
      certificateId: id, fileName: basename(fileName), certificate: Buffer.from(cert.raw).toString('base64'),
      chr: cert.body.chr, car: cert.body.car ?? cert.body.chr,
      role: cert.body.chat ? roleOfChat(cert.body.chat) : 'terminal',
      ...(cert.body.chat && terminalTypeOfOid(cert.body.chat.roleOid) ? { terminalType: terminalTypeOfOid(cert.body.chat.roleOid)! } : {}),
      ...(issuerId ? { issuerId } : {}),
      ...(d.publicKey.spkiSha256 ? { keySpkiSha256: d.publicKey.spkiSha256 } : {}),
      ...(spec ? { keySpec: { ...spec } } : {}),
      effectiveDate: d.effectiveDate ?? '', expirationDate: d.expirationDate ?? '',
    });
    return cvcStateOf(journal).certificates.get(id)!;
  });
}

export function requireCvcCertificate(journal: Journal, idOrChr: string): CvcCertificateRecord {
  const state = cvcStateOf(journal);
  const found = state.certificates.get(idOrChr) ?? state.byChr(idOrChr)[0] ?? [...state.certificates.values()].find((c) => c.id.startsWith(idOrChr));
  if (!found) throw new CustosError('CVC_CERTIFICATE_NOT_FOUND', `No CV certificate "${idOrChr}" here: give its CHR or its SHA-256.`, { certificate: idOrChr });
  return found;
}
