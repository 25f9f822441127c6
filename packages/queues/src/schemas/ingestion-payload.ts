import { z } from 'zod';

/** Media types the ingestion worker can turn into text. */
export const INGEST_MEDIA_TYPES = ['text/plain', 'text/markdown', 'text/html'] as const;
export type IngestMediaType = (typeof INGEST_MEDIA_TYPES)[number];

/** Document text carried in the job (small documents only: the job size limit applies). */
export const inlineSourceSchema = z.strictObject({
  kind: z.literal('inline'),
  text: z.string(),
  mediaType: z.enum(INGEST_MEDIA_TYPES).default('text/plain'),
});

/** A document the worker fetches. */
export const urlSourceSchema = z.strictObject({
  kind: z.literal('url'),
  url: z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }).max(2048),
});

/** `ingestion` queue, job `ingest`. */
export const ingestionPayloadSchema = z.strictObject({
  documentId: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9._:-]+$/, { error: 'may contain only letters, digits and . _ : -' }),
  source: z.discriminatedUnion('kind', [inlineSourceSchema, urlSourceSchema]),
  orgId: z.string().min(1).max(200).optional(),
  metadata: z.record(z.string().max(200), z.unknown()).optional(),
});
export type IngestionPayload = z.infer<typeof ingestionPayloadSchema>;
