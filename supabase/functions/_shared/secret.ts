import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares a presented secret with the expected one in constant time (hashing first makes the
 * lengths equal, so the comparison leaks neither content nor length).
 */
export function sameSecret(presented: string | null, expected: string): boolean {
  if (presented === null) return false;
  const digest = (value: string): Uint8Array => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
