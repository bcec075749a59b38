/**
 * What every CA act needs: the journal (the truth), the state read from it,
 * the tokens, where files go, and the clock. Passed in, never global, so a
 * test can run an act on a real token with a temporary journal.
 */
import { join } from 'node:path';
import { CustosError } from '../errors/index.ts';
import type { Journal } from '../journal/index.ts';
import type { AnchorCheck } from '../journal/checkpoint.ts';
import type { TokenRegistry } from '../hsm/registry.ts';
import { loadProfile, type Profile } from '../pki/x509/profiles.ts';
import { normalizeSerial, type CaRecord, type CaState, type IssuedRecord } from './state.ts';

export interface CaContext {
  readonly journal: Journal;
  readonly state: CaState;
  readonly tokens: TokenRegistry;
  readonly dataDir: string;
  readonly now: () => Date;
  readonly profileDir?: string;
  /** The journal's signed checkpoints as read at open and followed since (journal-anchor.ts); without it nothing is checked before a checkpoint. */
  readonly anchors?: AnchorCheck;
}

export const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

export function requireCa(ctx: CaContext, caId: string): CaRecord {
  const ca = ctx.state.cas.get(caId) ?? [...ctx.state.cas.values()].find((c) => c.name === caId);
  if (!ca) {
    const known = [...ctx.state.cas.values()].map((c) => c.name);
    throw new CustosError('CA_NOT_FOUND', `No CA "${caId}" in this journal.${known.length ? ` Known: ${known.join(', ')}.` : ' Create a root first (ca init).'}`, { caId, known });
  }
  return ca;
}

export function requireIssued(ctx: CaContext, caId: string, serialHex: string): IssuedRecord {
  const found = ctx.state.issued.get(caId)?.get(normalizeSerial(serialHex));
  if (!found) throw new CustosError('CERT_NOT_FOUND', `CA ${caId.slice(0, 12)}… issued no certificate with serial ${serialHex}.`, { caId, serialHex });
  return found;
}

export function profileFor(ctx: CaContext, id: string): Profile {
  return ctx.profileDir ? loadProfile(id, ctx.profileDir) : loadProfile(id);
}

export function crlDir(ctx: CaContext, caId: string): string {
  return join(ctx.dataDir, 'crls', caId);
}
