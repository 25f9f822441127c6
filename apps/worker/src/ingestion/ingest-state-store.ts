import { INGEST_STATE_TTL_MS, ingestStateKey } from '@conveyor/queues';
import type { RedisConnection } from '@conveyor/redis';

/** What is remembered of a document's last successful ingest. */
export interface IngestRecord {
  sha256: string;
  chunks: number;
  /** ISO time of the ingest. */
  ingestedAt: string;
}

/** Options for {@link IngestStateStore}. */
export interface IngestStateStoreOptions {
  /** A fail-fast (`admin` role) connection. */
  connection: RedisConnection;
  /** BullMQ key prefix. */
  prefix: string;
  /**
   * How long a record is kept after the document's last ingest or skip. Redis runs with
   * `noeviction`, so keys that never expire would grow with the number of documents until
   * enqueues fail; an expired record only costs one re-ingest of an unchanged document.
   * @defaultValue 2592000000 (30 days)
   */
  ttlMs?: number;
}

/**
 * The content hash of each document's last successful ingest, in Redis, so an unchanged
 * document is skipped. Written only after the sink has the chunks: a crash in between means one
 * re-ingest, never a skipped change.
 */
export class IngestStateStore {
  readonly #connection: RedisConnection;
  readonly #prefix: string;
  readonly #ttlMs: number;

  constructor(options: IngestStateStoreOptions) {
    this.#connection = options.connection;
    this.#prefix = options.prefix;
    this.#ttlMs = options.ttlMs ?? INGEST_STATE_TTL_MS;
  }

  key(documentId: string): string {
    return ingestStateKey(this.#prefix, documentId);
  }

  async get(documentId: string): Promise<IngestRecord | undefined> {
    const raw = await this.#connection.get(this.key(documentId));
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw) as IngestRecord;
    } catch {
      return undefined;
    }
  }

  async set(documentId: string, record: IngestRecord): Promise<void> {
    await this.#connection.set(this.key(documentId), JSON.stringify(record), 'PX', this.#ttlMs);
  }

  /** Keeps the record of a document that was seen unchanged. */
  async touch(documentId: string): Promise<void> {
    await this.#connection.pexpire(this.key(documentId), this.#ttlMs);
  }
}
