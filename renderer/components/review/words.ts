/** Words the review shows for the core's codes, and the hash cut for reading aloud. */

/** RFC 5280 §5.3.1 reason codes, as a person says them. */
export const REVOCATION_REASON_WORDS: Readonly<Record<string, string>> = {
  unspecified: 'Unspecified', keyCompromise: 'Key compromise', cACompromise: 'CA compromise', affiliationChanged: 'Affiliation changed',
  superseded: 'Superseded', cessationOfOperation: 'Cessation of operation', certificateHold: 'Certificate hold',
  privilegeWithdrawn: 'Privilege withdrawn', aACompromise: 'AA compromise', removeFromCRL: 'Removed from CRL',
};

export const reasonWords = (reason: string | undefined): string => REVOCATION_REASON_WORDS[reason ?? 'unspecified'] ?? reason ?? 'Unspecified';

/** Groups of four, as two people compare a hash aloud: "51ed 7115 …". */
export function hashGroups(hex: string): string[] {
  return hex.match(/.{1,4}/g) ?? [];
}

/** A moment in the person's own time zone, with the zone named, so nobody converts UTC in their head. */
export function localTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  // dateStyle/timeStyle cannot be combined with timeZoneName (ECMA-402 throws), so the parts are named one by one.
  return new Intl.DateTimeFormat(undefined, {
    year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short',
  }).format(d);
}
