import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TokenDecryptionError } from './errors/token-decryption-error.js';
import { TokenCipher } from './token-cipher.js';

const key = (version: number) => ({ version, key: randomBytes(32) });

describe('TokenCipher', () => {
  it('seals with a random IV and opens only in the same context', () => {
    const cipher = new TokenCipher([key(1)]);
    const one = cipher.seal('xoxb-secret', 'team:T1');
    const two = cipher.seal('xoxb-secret', 'team:T1');
    expect(one).not.toBe(two);
    expect(Buffer.from(one, 'base64').toString('latin1')).not.toContain('xoxb');
    expect(cipher.open(one, 'team:T1')).toBe('xoxb-secret');
    expect(() => cipher.open(one, 'team:T2')).toThrow(TokenDecryptionError);
  });

  it('writes the key version first and opens older versions after a rotation', () => {
    const v1 = key(1);
    const v2 = key(2);
    const sealedV1 = new TokenCipher([v1]).seal('old', 'team:T1');
    const rotated = new TokenCipher([v2, v1]);
    const sealedV2 = rotated.seal('new', 'team:T1');
    expect(Buffer.from(sealedV2, 'base64')[0]).toBe(2);
    expect(rotated.open(sealedV1, 'team:T1')).toBe('old');
    expect(rotated.open(sealedV2, 'team:T1')).toBe('new');
    expect(() => new TokenCipher([v1]).open(sealedV2, 'team:T1')).toThrow(/key version 2/);
  });

  it('refuses altered or truncated values', () => {
    const cipher = new TokenCipher([key(1)]);
    const bytes = Buffer.from(cipher.seal('xoxb-secret', 'team:T1'), 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
    expect(() => cipher.open(bytes.toString('base64'), 'team:T1')).toThrow(/authentication/);
    expect(() => cipher.open('AQID', 'team:T1')).toThrow(/truncated/);
  });
});
