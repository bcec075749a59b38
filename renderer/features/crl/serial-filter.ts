/**
 * The filter by serial of a CRL preview's entries: what a person types or
 * pastes, matched against the serials as the preview lists them.
 */

/**
 * The serial as typed, in the form the preview lists it: lower case, without
 * the separators people copy with it (colons as OpenSSL prints, spaces) or a
 * 0x. undefined when what is left is not hexadecimal.
 */
export function serialFilterOf(typed: string): string | undefined {
  const bare = typed.trim().toLowerCase().replace(/^0x/, '').replace(/[\s:]/g, '');
  return /^[0-9a-f]*$/.test(bare) ? bare : undefined;
}

/**
 * The entries whose serial contains the filter; every entry for an empty
 * filter, and none for one that is no serial, rather than every entry as if
 * nothing had been typed.
 */
export function entriesMatching<T extends { readonly serialHex: string }>(entries: readonly T[], typed: string): readonly T[] {
  const wanted = serialFilterOf(typed);
  if (wanted === undefined) return [];
  return wanted === '' ? entries : entries.filter((e) => e.serialHex.includes(wanted));
}
