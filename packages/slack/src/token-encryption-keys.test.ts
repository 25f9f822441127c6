import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseTokenEncryptionKeys } from './token-encryption-keys.js';

describe('parseTokenEncryptionKeys', () => {
  const raw = randomBytes(32);

  it('takes 32 bytes as hex, base64 or base64url, as version 1', () => {
    for (const text of [raw.toString('hex'), raw.toString('base64'), raw.toString('base64url')]) {
      const { keys, problems } = parseTokenEncryptionKeys(text);
      expect(problems).toEqual([]);
      expect(keys).toEqual([{ version: 1, key: raw }]);
    }
  });

  it('takes a versioned list, current first', () => {
    const old = randomBytes(32);
    const { keys, problems } = parseTokenEncryptionKeys(
      `2:${raw.toString('base64')}, 1:${old.toString('hex')}`,
    );
    expect(problems).toEqual([]);
    expect(keys.map((k) => k.version)).toEqual([2, 1]);
  });

  it('refuses wrong lengths, bad versions and duplicates without quoting the value', () => {
    const short = randomBytes(16).toString('base64');
    expect(parseTokenEncryptionKeys(short).problems).toEqual([
      expect.stringMatching(/must be 32 bytes/),
    ]);
    expect(parseTokenEncryptionKeys('x'.repeat(64)).problems).toHaveLength(1);
    const list = `0:${raw.toString('hex')},${raw.toString('hex')},3:${raw.toString('hex')},3:${raw.toString('hex')}`;
    const { problems } = parseTokenEncryptionKeys(list);
    expect(problems).toEqual([
      'entry 1: the version must be 1-255',
      'entry 2 must be <version>:<key> when several keys are listed',
      'entry 4: version 3 is listed twice',
    ]);
    expect(problems.join(' ')).not.toContain(raw.toString('hex'));
    expect(parseTokenEncryptionKeys(short).problems.join(' ')).not.toContain(short);
  });
});
