/**
 * CRL reasons (RFC 5280 §5.3.1) in the words a custodian reads aloud; the
 * window, the CLI and previews show these beside the spec name. Imports
 * nothing, so the window may take it from the core.
 */
const WORDS: Readonly<Record<string, string>> = {
  unspecified: 'No reason given',
  keyCompromise: 'The key was compromised',
  cACompromise: 'The CA key was compromised',
  affiliationChanged: 'The holder changed affiliation',
  superseded: 'Replaced by a new certificate',
  cessationOfOperation: 'No longer in use',
  certificateHold: 'On hold (suspended)',
  removeFromCRL: 'Taken off hold',
  privilegeWithdrawn: 'The privilege was withdrawn',
  aACompromise: 'The attribute authority was compromised',
};

export function reasonInWords(reason: string): string {
  return WORDS[reason] ?? reason;
}
