import { randomUUID } from 'node:crypto';
import {
  COMPARE_AND_DELETE_SCRIPT,
  COMPARE_AND_EXTEND_SCRIPT,
  ingestLockKey,
} from '@conveyor/queues';
import type { RedisConnection } from '@conveyor/redis';
import type { Logger } from '@conveyor/telemetry';
import { LockLostError } from '../errors/lock-lost-error.js';

/** Options for {@link DocumentLocks}. */
export interface DocumentLocksOptions {
  /** A fail-fast (`admin` role) connection. */
  connection: RedisConnection;
  /** BullMQ key prefix; lock keys live beside the queues' keys. */
  prefix: string;
  /** Life of a lock without renewal; a holder renews it every third of this. */
  ttlMs: number;
  logger: Logger;
}

/** The outcome of {@link DocumentLocks.acquire}. */
export type LockAttempt =
  | { acquired: true; lock: DocumentLock }
  | { acquired: false; remainingMs: number };

/**
 * Per-document mutual exclusion in Redis, so two workers never ingest one document at once.
 * `SET key token NX PX ttl` takes it; a Lua compare-and-delete releases it (never someone else's);
 * the holder renews it while working, and it expires by itself if the holder dies.
 */
export class DocumentLocks {
  readonly #options: DocumentLocksOptions;

  constructor(options: DocumentLocksOptions) {
    this.#options = options;
  }

  key(documentId: string): string {
    return ingestLockKey(this.#options.prefix, documentId);
  }

  async acquire(documentId: string): Promise<LockAttempt> {
    const { connection, ttlMs, logger } = this.#options;
    const key = this.key(documentId);
    const token = randomUUID();
    const taken = await connection.set(key, token, 'PX', ttlMs, 'NX');
    if (taken === 'OK') {
      return {
        acquired: true,
        lock: new DocumentLock({ connection, key, token, ttlMs, documentId, logger }),
      };
    }
    const remaining = await connection.pttl(key);
    return { acquired: false, remainingMs: Math.max(remaining, 0) };
  }
}

/**
 * One held document lock. Renews itself every third of its TTL until released; a renewal that
 * finds the lock gone (expired during a long pause, taken by another worker) marks it lost, and
 * {@link assertHeld} then stops the holder before it writes.
 */
export class DocumentLock {
  readonly documentId: string;
  readonly #connection: RedisConnection;
  readonly #key: string;
  readonly #token: string;
  readonly #ttlMs: number;
  readonly #logger: Logger;
  readonly #timer: NodeJS.Timeout;
  #lost = false;

  constructor(init: {
    connection: RedisConnection;
    key: string;
    token: string;
    ttlMs: number;
    documentId: string;
    logger: Logger;
  }) {
    this.documentId = init.documentId;
    this.#connection = init.connection;
    this.#key = init.key;
    this.#token = init.token;
    this.#ttlMs = init.ttlMs;
    this.#logger = init.logger;
    this.#timer = setInterval(
      () => {
        this.extend().catch((error) => {
          // A Redis blip: the next tick tries again; the lock has two more thirds of its life.
          this.#logger.warn({ err: error, documentId: this.documentId }, 'lock renewal failed');
        });
      },
      Math.max(Math.floor(this.#ttlMs / 3), 50),
    );
    this.#timer.unref();
  }

  /** True once a renewal found the lock no longer ours. */
  get lost(): boolean {
    return this.#lost;
  }

  /** Renews the lock for a full TTL; false (and lost) if it is no longer ours. */
  async extend(): Promise<boolean> {
    if (this.#lost) return false;
    const extended = await this.#connection.eval(
      COMPARE_AND_EXTEND_SCRIPT,
      1,
      this.#key,
      this.#token,
      String(this.#ttlMs),
    );
    if (extended !== 1) {
      this.#lost = true;
      clearInterval(this.#timer);
    }
    return !this.#lost;
  }

  /** Renews now, throwing {@link LockLostError} if the lock is no longer ours. */
  async assertHeld(): Promise<void> {
    if (!(await this.extend())) throw new LockLostError(this.documentId);
  }

  /** Stops renewing and deletes the lock if it is still ours. */
  async release(): Promise<void> {
    clearInterval(this.#timer);
    if (this.#lost) return;
    await this.#connection.eval(COMPARE_AND_DELETE_SCRIPT, 1, this.#key, this.#token);
  }
}
