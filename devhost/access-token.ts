/** The dev host's access token: random per start, compared in constant time. */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const ACCESS_TOKEN_BYTES = 32;

export function newAccessToken(): string {
  return randomBytes(ACCESS_TOKEN_BYTES).toString('base64url');
}

/** Hashing first gives equal lengths, so timingSafeEqual never leaks the token's length either. */
export function isAccessToken(candidate: string | undefined | null, token: string): boolean {
  if (typeof candidate !== 'string' || candidate.length === 0) return false;
  const a = createHash('sha256').update(candidate).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}
