/**
 * Text from outside (a request, a certificate, a token, the journal) as it may
 * be shown: control characters, line separators and bidi embeddings,
 * overrides and isolates written as \u{XXXX}, so a name cannot hide or reorder
 * what sits beside it (U+202E turns "moc.elgoog" into what looks like
 * "google.com"), add a fake line to a preview, or drive a terminal. The CLI,
 * the lint's messages and the window all show text through this one
 * function; it lives with the contract, the one part of the core the window
 * may take values from, and imports nothing.
 */

/**
 * C0 and C1 controls and DEL, the line and paragraph separators, and the
 * bidi embeddings, overrides (U+202A-U+202E) and isolates (U+2066-U+2069).
 * The implicit marks (U+200E, U+200F, U+061C) are left: they steer only
 * neutral characters and some right-to-left names need them.
 */
// eslint-disable-next-line no-control-regex
export const UNSAFE_CHARACTER = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
// eslint-disable-next-line no-control-regex
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

/** The text with every unsafe character written as \u{XXXX}, so it is seen and cannot act. */
export function visibleText(text: string): string {
  return text.replace(UNSAFE_CHARACTERS, (c) => `\\u{${c.codePointAt(0)!.toString(16).toUpperCase()}}`);
}
