/** A SHA-256 in groups of four hex digits, as the room reads it aloud (the CLI shows the same groups). */
export function groupsOfFour(sha256: string): string {
  return sha256.match(/.{1,4}/g)?.join(' ') ?? sha256;
}
