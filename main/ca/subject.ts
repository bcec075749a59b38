/**
 * A subject as an operator types it. Two spellings are accepted and both are
 * encoded in the order typed, as OpenSSL does: "C=DE, O=Example, CN=Root CA"
 * and OpenSSL's "-subj" form "/C=DE/O=Example/CN=Root CA".
 */
import 'reflect-metadata';
import { Name as X509Name } from '@peculiar/x509';
import type { Name } from '@peculiar/asn1-x509';
import { CustosError } from '../errors/index.ts';
import { nameFromAttributes, type NameAttributeInput } from '../pki/x509/names.ts';

function slashToComma(text: string): string {
  // "/C=DE/O=A\/B/CN=x": split on unescaped slashes, escape commas inside values.
  const parts = text.slice(1).split(/(?<!\\)\//).filter((p) => p.length > 0);
  return parts.map((p) => p.replace(/\\\//g, '/').replace(/,/g, '\\,')).join(', ');
}

export function parseSubject(text: string): Name {
  const trimmed = text.trim();
  if (trimmed.length === 0) throw new CustosError('INPUT_INVALID', 'The subject is empty: type a name such as "C=DE, O=Example, CN=Example Root CA".', { field: 'subject' });
  let rdns: Record<string, string[]>[];
  try {
    rdns = new X509Name(trimmed.startsWith('/') ? slashToComma(trimmed) : trimmed).toJSON() as Record<string, string[]>[];
  } catch {
    throw new CustosError('INPUT_INVALID', `The subject "${trimmed}" is not a distinguished name: write it as "C=DE, O=Example, CN=Example Root CA".`, { field: 'subject' });
  }
  const input: NameAttributeInput[][] = rdns.map((rdn) => Object.entries(rdn).flatMap(([type, values]) => values.map((value) => ({ type, value }))));
  if (input.length === 0) throw new CustosError('INPUT_INVALID', 'The subject has no attributes.', { field: 'subject' });
  return nameFromAttributes(input.map((r) => (r.length === 1 ? r[0]! : r)));
}
