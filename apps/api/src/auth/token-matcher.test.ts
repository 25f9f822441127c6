import { describe, expect, it } from 'vitest';
import { TokenMatcher } from './token-matcher.js';

describe('TokenMatcher', () => {
  const matcher = new TokenMatcher([
    { name: 'ci', secret: 'ci-secret-0123456789' },
    { name: 'ops', secret: 'ops-secret-0123456789' },
  ]);

  it('names the owner of a configured secret', () => {
    expect(matcher.match('ci-secret-0123456789')).toBe('ci');
    expect(matcher.match('ops-secret-0123456789')).toBe('ops');
  });

  it('rejects anything else, including prefixes, extensions and other lengths', () => {
    for (const secret of [
      '',
      'ci-secret-012345678',
      'ci-secret-01234567890',
      'CI-SECRET-0123456789',
      'x'.repeat(5000),
    ]) {
      expect(matcher.match(secret)).toBeUndefined();
    }
  });
});
