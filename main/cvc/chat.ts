/**
 * The Certificate Holder Authorization Template (7F4C) of EAC certificates,
 * BSI TR-03110 part 3 appendix C.4: a terminal type (its role OID), the
 * holder's role in the two most significant bits (CVCA 11, DV domestic 10,
 * DV foreign 01, terminal 00) and the relative authorizations in the bits
 * below. The names of the bits are the ones OpenPACE's cvc-create and
 * cvc-print use, so what Custos shows matches what those tools print.
 */
import { CustosError } from '../errors/index.ts';
import type { CvcChat } from '../pki/cvc/cvc.ts';

/** id-roles, TR-03110 part 3 §A.5.1.1: 0.4.0.127.0.7.3.1.2. */
const ID_ROLES = '0.4.0.127.0.7.3.1.2';

export const TERMINAL_TYPES = {
  is: { oid: `${ID_ROLES}.1`, name: 'Inspection system', chatBytes: 1 },
  at: { oid: `${ID_ROLES}.2`, name: 'Authentication terminal', chatBytes: 5 },
  st: { oid: `${ID_ROLES}.3`, name: 'Signature terminal', chatBytes: 1 },
} as const;

export type TerminalType = keyof typeof TERMINAL_TYPES;

export const CVC_ROLES = ['cvca', 'dv-domestic', 'dv-foreign', 'terminal'] as const;
export type CvcRole = (typeof CVC_ROLES)[number];

const ROLE_BITS: Record<CvcRole, number> = { cvca: 0b11, 'dv-domestic': 0b10, 'dv-foreign': 0b01, terminal: 0b00 };
export const ROLE_NAMES: Record<CvcRole, string> = {
  cvca: 'CVCA', 'dv-domestic': 'DV (domestic)', 'dv-foreign': 'DV (foreign)', terminal: 'Terminal',
};

/** Bit number (0 = least significant bit of the last byte) → name, per terminal type. */
function atBits(): Record<string, number> {
  const bits: Record<string, number> = {
    'age-verification': 0, 'community-id-verification': 1, 'restricted-identification': 2, 'privileged-terminal': 3,
    'can-allowed': 4, 'pin-management': 5, 'install-certificate': 6, 'install-qualified-certificate': 7,
  };
  for (let dg = 1; dg <= 21; dg++) bits[`read-dg${dg}`] = dg + 7;
  for (let dg = 17; dg <= 21; dg++) bits[`write-dg${dg}`] = 54 - dg;
  return bits;
}

export const AUTHORIZATION_BITS: Record<TerminalType, Readonly<Record<string, number>>> = {
  is: { 'read-fingerprint': 0, 'read-iris': 1, 'read-eid': 5 },
  at: atBits(),
  st: { 'generate-signature': 0, 'generate-qualified-signature': 1 },
};

export function terminalTypeOfOid(oid: string): TerminalType | undefined {
  return (Object.keys(TERMINAL_TYPES) as TerminalType[]).find((t) => TERMINAL_TYPES[t].oid === oid);
}

function bitSet(bits: Uint8Array, bit: number): boolean {
  const byte = bits.length - 1 - Math.floor(bit / 8);
  return byte >= 0 && (bits[byte]! & (1 << (bit % 8))) !== 0;
}

/** The CHAT for a terminal type, role and named authorizations; an unknown name is INPUT_INVALID. */
export function encodeChat(type: TerminalType, role: CvcRole, authorizations: readonly string[]): CvcChat {
  const { oid, chatBytes } = TERMINAL_TYPES[type];
  const bits = new Uint8Array(chatBytes);
  bits[0] = ROLE_BITS[role] << 6;
  for (const name of authorizations) {
    const bit = AUTHORIZATION_BITS[type][name];
    if (bit === undefined) {
      throw new CustosError('INPUT_INVALID', `"${name}" is not an authorization of a ${TERMINAL_TYPES[type].name.toLowerCase()} (${Object.keys(AUTHORIZATION_BITS[type]).join(', ')}).`, { authorization: name, terminalType: type });
    }
    bits[chatBytes - 1 - Math.floor(bit / 8)]! |= 1 << (bit % 8);
  }
  return { roleOid: oid, bits };
}

export interface ChatDescription {
  readonly terminalType?: TerminalType;
  /** 'Authentication terminal', or the OID for a type Custos does not know (SmartCard-HSM roles among them). */
  readonly terminalTypeName: string;
  readonly role?: CvcRole;
  readonly roleName: string;
  /** Named authorizations set; for an unknown type, none. */
  readonly authorizations: readonly string[];
  /** Set bits that name nothing (RFU): shown, since a wider CHAT is what matters. */
  readonly otherBits: readonly number[];
  readonly bitsHex: string;
}

export function roleOfChat(chat: CvcChat): CvcRole {
  const top = chat.bits[0]! >> 6;
  return (Object.keys(ROLE_BITS) as CvcRole[]).find((r) => ROLE_BITS[r] === top)!;
}

export function describeChat(chat: CvcChat): ChatDescription {
  const type = terminalTypeOfOid(chat.roleOid);
  const role = roleOfChat(chat);
  const named = type ? AUTHORIZATION_BITS[type] : {};
  const namedBits = new Set(Object.values(named));
  const authorizations = Object.entries(named).filter(([, bit]) => bitSet(chat.bits, bit)).sort((a, b) => a[1] - b[1]).map(([name]) => name);
  const otherBits: number[] = [];
  const totalBits = chat.bits.length * 8 - 2;
  for (let bit = 0; bit < totalBits; bit++) if (!namedBits.has(bit) && bitSet(chat.bits, bit)) otherBits.push(bit);
  return {
    ...(type ? { terminalType: type } : {}),
    terminalTypeName: type ? TERMINAL_TYPES[type].name : chat.roleOid,
    role, roleName: ROLE_NAMES[role], authorizations, otherBits,
    bitsHex: Buffer.from(chat.bits).toString('hex').toUpperCase(),
  };
}

/**
 * Why a holder's CHAT is wider than its issuer's (TR-03110 part 3 §C.4: the
 * effective authorization is the AND of the chain's), or undefined when it is
 * not: another terminal type, another length, or a relative authorization the
 * issuer lacks. Role bits are judged by the profile lint, not here.
 */
export function chatWiderThan(holder: CvcChat, issuer: CvcChat): string | undefined {
  if (holder.roleOid !== issuer.roleOid) return `its terminal type ${holder.roleOid} is not the issuer's ${issuer.roleOid}`;
  if (holder.bits.length !== issuer.bits.length) return `its CHAT has ${holder.bits.length} bytes, the issuer's ${issuer.bits.length}`;
  const wider: string[] = [];
  const type = terminalTypeOfOid(holder.roleOid);
  const names = new Map(Object.entries(type ? AUTHORIZATION_BITS[type] : {}).map(([n, b]) => [b, n]));
  for (let bit = 0; bit < holder.bits.length * 8 - 2; bit++) {
    if (bitSet(holder.bits, bit) && !bitSet(issuer.bits, bit)) wider.push(names.get(bit) ?? `bit ${bit}`);
  }
  return wider.length === 0 ? undefined : `it grants ${wider.join(', ')}, which the issuer does not hold`;
}
