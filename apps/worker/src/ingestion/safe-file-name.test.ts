import { describe, expect, it } from 'vitest';
import { MAX_SAFE_FILE_NAME, safeFileName } from './safe-file-name.js';

describe('safeFileName', () => {
  it('keeps plain ids and escapes colons and a leading dot', () => {
    expect(safeFileName('doc-1_v2.txt')).toBe('doc-1_v2.txt');
    expect(safeFileName('org:42:doc')).toBe('org%3A42%3Adoc');
    expect(safeFileName('..')).toBe('%2E.');
    expect(safeFileName('.hidden')).toBe('%2Ehidden');
  });

  it('never maps two ids to one name', () => {
    const ids = ['a:b', 'a%3Ab', 'a.b', '.ab', '%2Eab', 'a-b', 'a_b'];
    const valid = ids.filter((id) => /^[A-Za-z0-9._:-]+$/.test(id));
    expect(new Set(valid.map(safeFileName)).size).toBe(valid.length);
  });

  it('bounds the name of a long id by hashing it, deterministically and uniquely', () => {
    const ids = [
      ':'.repeat(200),
      `${':'.repeat(199)}a`,
      `a${':'.repeat(199)}`,
      'x'.repeat(200),
      `${'x'.repeat(199)}y`,
      `${'x'.repeat(79)}${':'.repeat(121)}`,
      `${'x'.repeat(78)}${':'.repeat(122)}`,
      'x'.repeat(MAX_SAFE_FILE_NAME),
      'x'.repeat(MAX_SAFE_FILE_NAME + 1),
    ];
    const names = ids.map(safeFileName);
    for (const name of names) {
      expect(name.length).toBeLessThanOrEqual(MAX_SAFE_FILE_NAME);
      expect(name).toMatch(/^[A-Za-z0-9._%-]*(~[0-9a-f]{64})?$/);
      // Prefixes never end inside an escape.
      expect(name.replace(/~.*/, '')).not.toMatch(/%[0-9A-F]?$/);
    }
    expect(new Set(names).size).toBe(ids.length);
    expect(ids.map(safeFileName)).toEqual(names);
    expect(safeFileName('x'.repeat(MAX_SAFE_FILE_NAME))).toBe('x'.repeat(MAX_SAFE_FILE_NAME));
    expect(safeFileName(':'.repeat(200))).toMatch(/^(%3A){26}~[0-9a-f]{64}$/);
  });
});
