import type { IngestMediaType } from '@conveyor/queues';
import { type ChunkTextOptions, chunkText, type TextChunk } from './chunk-text.js';
import { sha256 } from './content-hash.js';
import { extractText } from './extract-text.js';
import { normalizeText } from './normalize-text.js';

/** What {@link processText} works on. */
export interface TextPipelineInput {
  /** The document's content: decoded text, HTML or not. */
  raw: string;
  mediaType: IngestMediaType;
  /** @defaultValue the defaults of {@link chunkText} */
  chunking?: ChunkTextOptions;
}

/** A document's canonical text, its hash and its chunks. */
export interface ProcessedText {
  /** The normalised text: what is hashed and chunked. */
  text: string;
  /** sha256 of {@link text}. */
  sha256: string;
  chunks: TextChunk[];
}

/**
 * The CPU-bound part of an ingest, in one synchronous call: extract the text, normalise it, hash
 * it, chunk it. Every step is linear in the document's size. The worker runs it in a thread
 * ({@link TextPipelinePool}), never on the event loop that renews job locks.
 */
export function processText(input: TextPipelineInput): ProcessedText {
  const text = normalizeText(extractText(input.raw, input.mediaType));
  return { text, sha256: sha256(text), chunks: chunkText(text, input.chunking) };
}
