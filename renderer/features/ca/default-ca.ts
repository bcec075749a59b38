/**
 * Which CA a signing form offers first: one whose key is on an open token, so
 * it can sign now. A CA whose key is on no open token is offered first only
 * when no CA can sign now (the preview then says why). Until the core has
 * said where the keys are, nothing is chosen, so a form never starts on a CA
 * that only looked first.
 */
export interface LiveCa {
  readonly id: string;
  readonly keyOnOpenToken?: boolean;
}

/**
 * @param cas the CAs in the order the form lists them
 * @param live ca.list's answer, undefined while it is pending
 * @param failed ca.list failed: fall back to the first CA rather than offer none
 */
export function defaultSigningCa(cas: readonly { id: string }[], live: readonly LiveCa[] | undefined, failed = false): string | undefined {
  if (cas.length === 0) return undefined;
  if (live === undefined) return failed ? cas[0]!.id : undefined;
  return (cas.find((c) => live.find((l) => l.id === c.id)?.keyOnOpenToken === true) ?? cas[0]!).id;
}
