import type { RedisServer } from '@conveyor/testing';
import type { Redis } from 'ioredis';
import type { BenchOptions } from './bench-options.js';
import type { CleanupStack } from './support/cleanup-stack.js';

/** Paths of the scripts the bench runs. */
export interface BenchScripts {
  /** `apps/api/dist/main.js` */
  api: string;
  /** `apps/worker/dist/main.js` */
  worker: string;
}

/** What every scenario gets: the run's options, its Redis, folder and cleanup. */
export interface BenchContext {
  options: BenchOptions;
  redis: RedisServer;
  /** A plain client on the bench's Redis, for INFO, FLUSHALL and counts. */
  client: Redis;
  /** The run's temp folder: logs, ingestion output. */
  dir: string;
  scripts: BenchScripts;
  /** The bearer secret of the API's one client. */
  secret: string;
  cleanup: CleanupStack;
  log: (line: string) => void;
}

/** Connection options for BullMQ objects the bench itself creates. */
export function bullConnection(ctx: BenchContext) {
  return { host: ctx.redis.host, port: ctx.redis.port, maxRetriesPerRequest: null };
}
