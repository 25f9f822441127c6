import { randomUUID } from 'node:crypto';
import { access, mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SinkRejectedError } from '../errors/sink-rejected-error.js';
import type { ChunkRecord, ChunkSink } from './chunk-sink.js';
import { safeFileName } from './safe-file-name.js';

/** File system errors a retry of the same write cannot change. */
const PERMANENT_CODES = new Set(['ENAMETOOLONG', 'EINVAL']);

/**
 * The default sink: one JSON Lines file per document, `<dir>/<documentId>.jsonl` (id made
 * file-name safe), one chunk object per line. Each write goes to a temporary file in the same
 * folder, is flushed to disk, and is renamed over the old file, so a reader or a crash never
 * sees half a document. A write the file system can never accept fails with
 * {@link SinkRejectedError} (permanent); other errors are retried.
 */
export class JsonlFileSink implements ChunkSink {
  constructor(readonly dir: string) {}

  path(documentId: string): string {
    return join(this.dir, `${safeFileName(documentId)}.jsonl`);
  }

  async prepare(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  async has(documentId: string): Promise<boolean> {
    try {
      await access(this.path(documentId));
      return true;
    } catch {
      return false;
    }
  }

  async write(documentId: string, chunks: ChunkRecord[]): Promise<void> {
    try {
      await this.#write(documentId, chunks);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code && PERMANENT_CODES.has(code)) {
        throw new SinkRejectedError(this.path(documentId), error as NodeJS.ErrnoException);
      }
      throw error;
    }
  }

  async #write(documentId: string, chunks: ChunkRecord[]): Promise<void> {
    const target = this.path(documentId);
    const temporary = `${target}.${randomUUID()}.tmp`;
    await mkdir(this.dir, { recursive: true });
    const content = chunks.map((chunk) => `${JSON.stringify(chunk)}\n`).join('');
    try {
      const file = await open(temporary, 'wx');
      try {
        await file.writeFile(content, 'utf8');
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }
}
