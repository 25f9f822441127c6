import { describe, expect, it } from 'vitest';
import { safeFileName } from './safe-file-name.js';

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
});
