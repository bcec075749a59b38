/**
 * Text from outside (a request, a certificate, a token, the journal) as it
 * may be shown: control characters, line separators and bidi embeddings,
 * overrides and isolates written as \u{XXXX}, so a name cannot hide or
 * reorder what sits beside it (U+202E turns "moc.elgoog" into what looks
 * like "google.com"). React escapes markup; this makes invisible characters
 * seen. The same set as the core's visibleText (main/pki/x509/name-rules.ts),
 * kept here because the window imports nothing from the core but the
 * contract's types; test/unit/renderer/components/visibleText.test.ts keeps
 * the two equal.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

export function visibleText(text: string): string {
  return text.replace(UNSAFE_CHARACTERS, (c) => `\\u{${c.codePointAt(0)!.toString(16).toUpperCase()}}`);
}
