import {
  type IngestionPayload,
  type IngestMediaType,
  ingestionPayloadSchema,
} from '@conveyor/queues';
import { defineHandler, type JobHandler } from '../handlers/job-handler.js';
import type { ChunkRecord, ChunkSink } from './chunk-sink.js';
import type { ChunkTextOptions } from './chunk-text.js';
import type { DocumentFetcher } from './document-fetcher.js';
import type { DocumentLocks } from './document-lock.js';
import { decodeBody } from './extract-text.js';
import type { IngestStateStore } from './ingest-state-store.js';
import type { TextPipelinePool } from './text-pipeline-pool.js';

/** What an `ingest` job returns. */
export interface IngestResult {
  /** Chunks written (or, when skipped, the chunks of the unchanged last ingest). */
  chunks: number;
  /** Size of the source document, in bytes. */
  bytes: number;
  /** sha256 of the normalised text. */
  sha256: string;
  /** True when the text was unchanged since the last successful ingest and nothing was written. */
  skipped: boolean;
}

/** Options for {@link ingestHandler}. */
export interface IngestHandlerOptions {
  locks: DocumentLocks;
  state: IngestStateStore;
  sink: ChunkSink;
  fetcher: DocumentFetcher;
  /** Extracts, normalises, hashes and chunks off the event loop. */
  pipeline: Pick<TextPipelinePool, 'run'>;
  /** @defaultValue about 1,000 characters with about 100 of overlap */
  chunking?: ChunkTextOptions;
  /**
   * Longest wait before a job whose document is locked by another worker looks again.
   * @defaultValue 1000
   */
  lockRetryMs?: number;
}

interface SourceText {
  raw: string;
  mediaType: IngestMediaType;
  bytes: number;
}

/**
 * `ingest`: turns one document into chunks in the sink.
 *
 * Steps: take the document's lock (held elsewhere: postpone the job without spending an
 * attempt); read the text (inline, or fetched with the fetcher's limits); extract, normalise,
 * hash and chunk it in a thread of the pipeline pool; stop if it is unchanged since the last
 * successful ingest; check the
 * lock is still ours; write the chunks; remember the hash. Progress is reported along the way.
 */
export function ingestHandler(options: IngestHandlerOptions): JobHandler<IngestResult> {
  const lockRetryMs = options.lockRetryMs ?? 1000;
  return defineHandler({
    schema: ingestionPayloadSchema,
    // A fetch in progress stops when the job is cancelled.
    cancellable: true,
    async handle(payload, job, context): Promise<IngestResult> {
      const { documentId } = payload;
      const attempt = await options.locks.acquire(documentId);
      if (!attempt.acquired) {
        // Jitter keeps jobs waiting on one document from polling in lockstep.
        const waitMs = Math.max(
          Math.round(
            Math.min(attempt.remainingMs || lockRetryMs, lockRetryMs) * (0.5 + Math.random() / 2),
          ),
          50,
        );
        context.logger.info(
          { documentId, waitMs },
          'document is being ingested elsewhere; postponed',
        );
        return context.postpone(waitMs);
      }
      const { lock } = attempt;
      try {
        await job.updateProgress(5);
        const source = await readSource(payload, options.fetcher, context.signal);
        await job.updateProgress(40);
        const processed = await options.pipeline.run(
          {
            raw: source.raw,
            mediaType: source.mediaType,
            ...(options.chunking ? { chunking: options.chunking } : {}),
          },
          context.signal,
        );
        const hash = processed.sha256;
        const previous = await options.state.get(documentId);
        if (previous?.sha256 === hash && (await options.sink.has(documentId))) {
          await options.state.touch(documentId);
          await job.updateProgress(100);
          context.logger.info({ documentId, sha256: hash }, 'document unchanged; skipped');
          return { chunks: previous.chunks, bytes: source.bytes, sha256: hash, skipped: true };
        }
        const records: ChunkRecord[] = processed.chunks.map((chunk) => ({
          documentId,
          index: chunk.index,
          text: chunk.text,
          start: chunk.start,
          end: chunk.end,
          sha256: hash,
        }));
        await job.updateProgress(70);
        await lock.assertHeld();
        await options.sink.write(documentId, records);
        await options.state.set(documentId, {
          sha256: hash,
          chunks: records.length,
          ingestedAt: new Date().toISOString(),
        });
        await job.updateProgress(100);
        context.logger.info(
          { documentId, chunks: records.length, bytes: source.bytes, sha256: hash },
          'document ingested',
        );
        return { chunks: records.length, bytes: source.bytes, sha256: hash, skipped: false };
      } finally {
        await lock.release().catch((error) => {
          // It expires by itself; the next holder waits at most its TTL.
          context.logger.warn({ err: error, documentId }, 'could not release the document lock');
        });
      }
    },
  });
}

async function readSource(
  payload: IngestionPayload,
  fetcher: DocumentFetcher,
  signal: AbortSignal | undefined,
): Promise<SourceText> {
  const { source } = payload;
  if (source.kind === 'inline') {
    return { raw: source.text, mediaType: source.mediaType, bytes: Buffer.byteLength(source.text) };
  }
  const fetched = await fetcher.fetch(source.url, signal);
  return {
    raw: decodeBody(fetched.body, fetched.charset),
    mediaType: fetched.mediaType,
    bytes: fetched.body.length,
  };
}
