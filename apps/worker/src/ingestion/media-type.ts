import { INGEST_MEDIA_TYPES, type IngestMediaType } from '@conveyor/queues';

/** A media type the ingestion handler can read, with the charset the source declared. */
export interface ResolvedMediaType {
  mediaType: IngestMediaType;
  charset?: string;
}

const ALIASES: Record<string, IngestMediaType> = {
  'text/x-markdown': 'text/markdown',
};
const BY_EXTENSION: Record<string, IngestMediaType> = {
  txt: 'text/plain',
  text: 'text/plain',
  md: 'text/markdown',
  markdown: 'text/markdown',
  htm: 'text/html',
  html: 'text/html',
};

/**
 * Reads a `Content-Type` header into a supported media type. A missing or generic type
 * (`application/octet-stream`) is guessed from the URL's extension.
 * @returns the media type, or the unsupported type as a string
 */
export function resolveMediaType(
  contentType: string | undefined,
  url: URL,
): ResolvedMediaType | string {
  const [rawType = '', ...params] = (contentType ?? '').split(';');
  const type = rawType.trim().toLowerCase();
  const charset = params
    .map((param) => param.trim().split('='))
    .find(([name]) => name?.trim().toLowerCase() === 'charset')?.[1]
    ?.trim()
    .replace(/^"|"$/g, '');
  const withCharset = (mediaType: IngestMediaType): ResolvedMediaType =>
    charset ? { mediaType, charset } : { mediaType };

  if ((INGEST_MEDIA_TYPES as readonly string[]).includes(type)) {
    return withCharset(type as IngestMediaType);
  }
  const alias = ALIASES[type];
  if (alias) return withCharset(alias);
  if (type === '' || type === 'application/octet-stream') {
    const extension = /\.([a-z0-9]+)$/i.exec(url.pathname)?.[1]?.toLowerCase();
    const guessed = extension ? BY_EXTENSION[extension] : undefined;
    if (guessed) return withCharset(guessed);
  }
  return type || '(none)';
}
