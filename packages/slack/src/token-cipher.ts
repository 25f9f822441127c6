import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { TokenDecryptionError } from './errors/token-decryption-error.js';
import type { TokenEncryptionKey } from './token-encryption-keys.js';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES;

/**
 * Seals secrets for storage with AES-256-GCM: base64 of `version (1 byte) | IV (12 random bytes)
 * | auth tag (16 bytes) | ciphertext`. The version byte names the key, so keys can be rotated:
 * new values use the first key, older values open with the key of their version. `context` is
 * bound as additional authenticated data (the installation's id), so a sealed value copied under
 * another workspace's key does not open.
 */
export class TokenCipher {
  readonly #current: TokenEncryptionKey;
  readonly #byVersion: ReadonlyMap<number, Buffer>;

  constructor(keys: readonly TokenEncryptionKey[]) {
    const [current] = keys;
    if (current === undefined) throw new RangeError('TokenCipher needs at least one key');
    for (const { key } of keys) {
      if (key.length !== 32) throw new RangeError('an AES-256 key is 32 bytes');
    }
    this.#current = current;
    this.#byVersion = new Map(keys.map(({ version, key }) => [version, key]));
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.#current.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([
      Buffer.of(this.#current.version),
      iv,
      cipher.getAuthTag(),
      body,
    ]).toString('base64');
  }

  /** @throws TokenDecryptionError for an unknown key version or a value that fails authentication */
  open(sealed: string, context: string): string {
    const bytes = Buffer.from(sealed, 'base64');
    if (bytes.length < HEADER_BYTES) throw new TokenDecryptionError('the value is truncated');
    const version = bytes[0] as number;
    const key = this.#byVersion.get(version);
    if (key === undefined) {
      throw new TokenDecryptionError(
        `it was sealed with key version ${version}, which SLACK_TOKEN_ENCRYPTION_KEY does not list`,
      );
    }
    try {
      const decipher = createDecipheriv(ALGORITHM, key, bytes.subarray(1, 1 + IV_BYTES));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(bytes.subarray(1 + IV_BYTES, HEADER_BYTES));
      const body = Buffer.concat([decipher.update(bytes.subarray(HEADER_BYTES)), decipher.final()]);
      return body.toString('utf8');
    } catch {
      throw new TokenDecryptionError(
        `authentication failed (another key of version ${version}, or altered)`,
      );
    }
  }
}
