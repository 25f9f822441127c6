import { describe, expect, it } from 'vitest';
import { extractSearchKeys, MAX_SEARCH_VALUE_LENGTH } from './search-keys.js';

describe('extractSearchKeys', () => {
  it('indexes string values, leaving out those too long or holding a NUL', () => {
    const source = { kind: 'inline', text: 'x' };
    expect(
      extractSearchKeys('ingestion', { documentId: 'doc-1', orgId: 'org-1', source }, {}),
    ).toEqual({ documentId: 'doc-1', orgId: 'org-1' });
    expect(
      extractSearchKeys('ingestion', {
        documentId: 'doc\0-1',
        orgId: 'o'.repeat(MAX_SEARCH_VALUE_LENGTH + 1),
        source,
      }),
    ).toEqual({});
  });
});
