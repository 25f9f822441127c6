import { describe, expect, it } from 'vitest';
import { ingestionPayloadSchema } from './ingestion-payload.js';
import { parseCommonIngestionPayload } from './parse-common-ingestion-payload.js';

const URLS = [
  'https://docs.example.com/handbook/onboarding.html',
  'http://example.com',
  'HTTPS://EXAMPLE.COM/A?b=c#d',
  'https://user:pw@example.com:8443/x%20y',
  'https://example.com:99999/',
  'https://exa mple.com/',
  ' https://example.com/',
  'https://example.com/\n',
  'https://exa\tmple.com/',
  'https://example.com/\u00e9',
  'https://bücher.example/',
  'http:example.com',
  'https:/example.com',
  'ftp://example.com/',
  'mailto:someone@example.com',
  'https://',
  'https://[::1]/',
  'https://1.2.3.999/',
  'https://example.123/',
  `https://example.com/${'a'.repeat(2028)}`,
  `https://example.com/${'a'.repeat(2029)}`,
  '',
];

const DOCUMENT_IDS = [
  'handbook-1',
  'a',
  'A.b_c:d-e',
  '',
  'has space',
  'é',
  'x'.repeat(200),
  'x'.repeat(201),
];

const SOURCES: unknown[] = [
  ...URLS.map((url) => ({ kind: 'url', url })),
  { url: 'https://example.com/', kind: 'url' },
  { kind: 'url' },
  { kind: 'url', url: 42 },
  { kind: 'url', url: 'https://example.com/', text: 'x' },
  { kind: 'url', url: 'https://example.com/', mediaType: 'text/plain' },
  { kind: 'url', url: undefined },
  { kind: 'inline', text: 'hello' },
  { text: 'hello', kind: 'inline' },
  { kind: 'inline', text: '' },
  { kind: 'inline', text: 'x', mediaType: 'text/markdown' },
  { mediaType: 'text/html', text: 'x', kind: 'inline' },
  { kind: 'inline', text: 'x', mediaType: 'text/plain' },
  { kind: 'inline', text: 'x', mediaType: 'application/pdf' },
  { kind: 'inline', text: 'x', mediaType: undefined },
  { kind: 'inline', text: 'x', url: 'https://example.com/' },
  { kind: 'inline' },
  { kind: 'inline', text: 7 },
  { kind: 'other', text: 'x' },
  {},
  null,
  'https://example.com/',
  [],
  Object.create({ kind: 'url', url: 'https://example.com/' }),
  Object.defineProperty({ kind: 'url' }, 'url', { value: 'https://example.com/' }),
  Object.assign(Object.create(null), { kind: 'url', url: 'https://example.com/' }),
];

const METADATA: unknown[] = [
  { title: 'Employee onboarding handbook', language: 'en', tags: ['hr', 'handbook'] },
  {},
  { 2: 'b', 1: 'a', z: { deep: [1, null] } },
  { ['k'.repeat(200)]: 1 },
  { ['k'.repeat(201)]: 1 },
  { missing: undefined },
  JSON.parse('{"__proto__": {"polluted": true}, "a": 1}'),
  { [Symbol('s')]: 1 },
  Object.defineProperty({ a: 1 }, 'hidden', { value: 2, enumerable: false }),
  Object.create({ inherited: 1 }),
  [],
  'text',
  null,
];

/** Every combination of members, present, absent or odd, in two member orders. */
function* payloads(): Generator<unknown> {
  for (const documentId of [...DOCUMENT_IDS, 5, undefined]) {
    for (const source of SOURCES) {
      for (const orgId of ['org-1042', '', 'o'.repeat(201), 7, undefined, 'absent']) {
        const payload: Record<string, unknown> = { documentId, source };
        if (orgId !== 'absent') payload.orgId = orgId;
        yield payload;
        yield { orgId, source, documentId };
      }
    }
  }
  const source = { kind: 'url', url: 'https://example.com/' };
  for (const metadata of METADATA) {
    yield { documentId: 'd', source, metadata };
    yield { metadata, source, documentId: 'd', orgId: 'o' };
  }
  yield { documentId: 'd', source, extra: 1 };
  yield { documentId: 'd' };
  yield { source };
  yield Object.assign(Object.create({ orgId: 'inherited' }), { documentId: 'd', source });
  yield Object.defineProperty({ source }, 'documentId', { value: 'd' });
  yield null;
  yield undefined;
  yield [];
  yield 'payload';
}

describe('parseCommonIngestionPayload', () => {
  it('returns only what ingestionPayloadSchema accepts, exactly as the schema outputs it', () => {
    let taken = 0;
    let valid = 0;
    for (const payload of payloads()) {
      const parsed = ingestionPayloadSchema.safeParse(payload);
      if (parsed.success) valid += 1;
      const common = parseCommonIngestionPayload(payload);
      if (common === undefined) continue;
      taken += 1;
      expect(parsed.success, JSON.stringify(payload)).toBe(true);
      expect(common).toStrictEqual(parsed.data);
      // Same members in the same order: the stored JSON is the same.
      expect(JSON.stringify(common)).toBe(JSON.stringify(parsed.data));
      expect(Reflect.ownKeys(common)).toEqual(Reflect.ownKeys(parsed.data as object));
    }
    // The common shapes take the fast path; the odd valid ones are left to the schema.
    expect(taken).toBeGreaterThan(200);
    expect(valid).toBeGreaterThan(taken);
  });

  it('takes the payloads clients send, JSON-parsed', () => {
    const sent = JSON.parse(
      JSON.stringify({
        documentId: 'handbook-7',
        source: { kind: 'url', url: 'https://docs.example.com/handbook/onboarding.html' },
        orgId: 'org-1042',
        metadata: { title: 'Employee onboarding handbook', tags: ['hr'] },
      }),
    );
    expect(parseCommonIngestionPayload(sent)).toStrictEqual(ingestionPayloadSchema.parse(sent));
    const inline = JSON.parse('{"source":{"text":"hi","kind":"inline"},"documentId":"d"}');
    expect(parseCommonIngestionPayload(inline)).toStrictEqual({
      documentId: 'd',
      source: { kind: 'inline', text: 'hi', mediaType: 'text/plain' },
    });
  });
});
