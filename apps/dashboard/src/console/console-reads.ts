import { readTenants, searchJobs, validSearchKeys } from '@conveyor/queues';
import type { RedisConnection } from '@conveyor/redis';
import type { CreateConsoleRouterOptions } from './create-console-router.js';

/** Tenants listed per queue: the largest backlogs first. */
const TENANTS_LISTED = 50;

/** What the console reads beyond its queues' own state. */
export type ConsoleReads = Pick<CreateConsoleRouterOptions, 'readTenants' | 'search'>;

/**
 * The console's tenant listing (`readTenants`) and job search (`searchJobs`, over the index the
 * producer writes at enqueue), on the board's shared connection.
 */
export function consoleReads(connection: RedisConnection, prefix: string): ConsoleReads {
  return {
    readTenants: (queue) => readTenants(connection, queue, { limit: TENANTS_LISTED }),
    search: {
      keys: validSearchKeys(),
      search: (query) => searchJobs(connection, prefix, query),
    },
  };
}
