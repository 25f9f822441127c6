import { describe, expect, it } from 'vitest';
import {
  entryKeys,
  extractSearchKeys,
  MAX_SEARCH_VALUE_LENGTH,
  tenantStandIns,
} from './search-keys.js';

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

describe('entryKeys', () => {
  it('leaves out the tenant only when a tenant search key holds its value', () => {
    expect(entryKeys({ documentId: 'd', orgId: 'acme', tenant: 'acme' })).toEqual([
      'documentId',
      'orgId',
    ]);
    expect(entryKeys({ event_id: 'Ev1', team_id: 'T1', tenant: 'T1' })).toEqual([
      'event_id',
      'team_id',
    ]);
    expect(entryKeys({ documentId: 'd', orgId: 'acme', tenant: 'globex' })).toEqual([
      'documentId',
      'orgId',
      'tenant',
    ]);
    // `documentId` is no tenant search key: an equal value implies nothing.
    expect(entryKeys({ documentId: 'acme', tenant: 'acme' })).toEqual(['documentId', 'tenant']);
  });

  it("names each queue's stand-ins for the tenant, from the catalog", () => {
    expect(tenantStandIns('ingestion')).toEqual(['orgId']);
    expect(tenantStandIns('slack-events')).toEqual(['team_id']);
  });
});
