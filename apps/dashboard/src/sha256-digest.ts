import { createHash } from 'node:crypto';

/** SHA-256 of a UTF-8 string: a fixed-length value `timingSafeEqual` can compare. */
export function sha256Digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
