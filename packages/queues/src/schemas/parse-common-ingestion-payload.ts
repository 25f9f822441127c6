import {
  INGEST_MEDIA_TYPES,
  type IngestionPayload,
  type IngestMediaType,
} from './ingestion-payload.js';

// The schema's rules, repeated: a rule the schema tightens fails this file's test; one it loosens
// only sends more payloads to the schema.
const DOCUMENT_ID = /^[A-Za-z0-9._:-]+$/;
/**
 * An http(s) URL of printable ASCII without spaces: zod's trimming and tab/newline stripping
 * leave it unchanged, and it passes zod's `http(s)://` guard, so `URL.canParse` decides the rest
 * (the protocol it parses to is then http or https).
 */
const PLAIN_HTTP_URL = /^https?:\/\/[\x21-\x7e]+$/i;
const isMediaType = (value: unknown): boolean =>
  (INGEST_MEDIA_TYPES as readonly unknown[]).includes(value);

const isPlainRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;

/**
 * The output of `ingestionPayloadSchema` for the payloads clients send (plain objects, no
 * `undefined` members, a plain ASCII URL), built without zod: its parse was a sixth of the API's
 * CPU for a bulk in `pnpm bench`. Returns undefined for anything else, valid or not: the caller
 * then parses with the schema, which stays the one definition of what is valid and the source of
 * every error message. Whatever this returns, the schema accepts and outputs equally (same
 * members in the same order): `parse-common-ingestion-payload.test.ts` holds it to that.
 */
export function parseCommonIngestionPayload(data: unknown): IngestionPayload | undefined {
  if (!isPlainRecord(data)) return undefined;
  let members = 0;
  for (const key in data) {
    if (key !== 'documentId' && key !== 'source' && key !== 'orgId' && key !== 'metadata') {
      return undefined;
    }
    members += 1;
  }
  const { documentId, source, orgId, metadata } = data;
  if (
    typeof documentId !== 'string' ||
    documentId.length > 200 ||
    !DOCUMENT_ID.test(documentId) ||
    !isPlainRecord(source)
  ) {
    return undefined;
  }
  const parsedSource = parseSource(source);
  if (parsedSource === undefined) return undefined;
  const payload: IngestionPayload = { documentId, source: parsedSource };
  let expected = 2;
  if (Object.hasOwn(data, 'orgId')) {
    if (typeof orgId !== 'string' || orgId.length < 1 || orgId.length > 200) return undefined;
    payload.orgId = orgId;
    expected += 1;
  }
  if (Object.hasOwn(data, 'metadata')) {
    const copy = parseMetadata(metadata);
    if (copy === undefined) return undefined;
    payload.metadata = copy;
    expected += 1;
  }
  // Members are own and enumerable (no inherited or hidden `documentId`).
  return members === expected ? payload : undefined;
}

function parseSource(source: Record<string, unknown>): IngestionPayload['source'] | undefined {
  const { kind } = source;
  let members = 0;
  for (const key in source) {
    if (key !== 'kind' && key !== (kind === 'url' ? 'url' : 'text') && key !== 'mediaType') {
      return undefined;
    }
    members += 1;
  }
  if (kind === 'url') {
    const { url } = source;
    if (
      members !== 2 ||
      !Object.hasOwn(source, 'url') ||
      typeof url !== 'string' ||
      url.length > 2048 ||
      !PLAIN_HTTP_URL.test(url) ||
      !URL.canParse(url)
    ) {
      return undefined;
    }
    return { kind, url };
  }
  if (kind !== 'inline') return undefined;
  const { text, mediaType } = source;
  const withMediaType = Object.hasOwn(source, 'mediaType');
  if (
    !Object.hasOwn(source, 'text') ||
    typeof text !== 'string' ||
    members !== (withMediaType ? 3 : 2) ||
    (withMediaType && !isMediaType(mediaType))
  ) {
    return undefined;
  }
  return { kind, text, mediaType: withMediaType ? (mediaType as IngestMediaType) : 'text/plain' };
}

/**
 * A copy of `metadata` as `z.record(z.string().max(200), z.unknown())` outputs it: its own
 * enumerable string-keyed members (`for...in` lists them, in order, without an array of keys).
 */
function parseMetadata(metadata: unknown): Record<string, unknown> | undefined {
  if (!isPlainRecord(metadata)) return undefined;
  const copy: Record<string, unknown> = {};
  for (const key in metadata) {
    if (key.length > 200 || key === '__proto__' || !Object.hasOwn(metadata, key)) return undefined;
    copy[key] = metadata[key];
  }
  // The schema refuses symbol keys.
  return Object.getOwnPropertySymbols(metadata).length === 0 ? copy : undefined;
}
