import { createHash } from 'node:crypto';
import { QUEUE_CATALOG, QUEUE_NAMES, type QueueName } from '../queue-catalog.js';
import type { QueueDefinition } from '../queue-definition.js';

/** Keys every queue is searchable by, besides its catalog's own `searchKeys`. */
export const COMMON_SEARCH_KEYS = ['id', 'tenant', 'idempotencyKey'] as const;

/**
 * Longest value indexed or searched; a longer value, or one holding a NUL, is not indexed (and
 * cannot match).
 */
export const MAX_SEARCH_VALUE_LENGTH = 256;

/** The business keys of one job, as indexed: key name -> value. */
export type SearchKeys = Record<string, string>;

/** What an enqueue knows about a job beyond its data. */
export interface SearchKeySources {
  /** The job's tenant (named by the request or derived by the catalog). @defaultValue none */
  tenant?: string | undefined;
  /** The request's `Idempotency-Key`, with the client that sent it. @defaultValue none */
  idempotency?: { key: string; client?: string | undefined } | undefined;
}

const catalogKeys = (queue: QueueName) => (QUEUE_CATALOG[queue] as QueueDefinition).searchKeys;

/** The catalog's `tenantSearchKey`s: keys whose entries may stand for a job's tenant entry. */
const TENANT_SEARCH_KEYS: readonly string[] = [
  ...new Set(
    QUEUE_NAMES.flatMap((queue) => {
      const key = (QUEUE_CATALOG[queue] as QueueDefinition).tenantSearchKey;
      return key === undefined ? [] : [key];
    }),
  ),
];

/**
 * The keys of a job's `keys` that get value entries: every one but `tenant` when a tenant
 * search key (`QueueDefinition.tenantSearchKey`) holds the same value, whose entry a search by
 * tenant reads instead ({@link tenantStandIns}). The entries hash keeps all of `keys`.
 */
export function entryKeys(keys: SearchKeys): string[] {
  const tenant = keys.tenant;
  const implied = tenant !== undefined && TENANT_SEARCH_KEYS.some((key) => keys[key] === tenant);
  return implied ? Object.keys(keys).filter((key) => key !== 'tenant') : Object.keys(keys);
}

/**
 * The keys whose entries a search by tenant of `queue` reads besides `tenant`'s, keeping the
 * jobs whose tenant is the value searched: its tenant search keys (see {@link entryKeys}).
 */
export function tenantStandIns(queue: QueueName): string[] {
  return TENANT_SEARCH_KEYS.filter((key) => Object.hasOwn(catalogKeys(queue), key));
}

/** Every key `searchJobs` accepts, in a stable order: the catalog's, then the common ones. */
export function validSearchKeys(): string[] {
  const keys = new Set<string>();
  for (const queue of QUEUE_NAMES) for (const key of Object.keys(catalogKeys(queue))) keys.add(key);
  for (const key of COMMON_SEARCH_KEYS) keys.add(key);
  return [...keys];
}

/** True when jobs of `queue` can be found by `key`. */
export function isSearchKeyOf(queue: QueueName, key: string): boolean {
  return (
    (COMMON_SEARCH_KEYS as readonly string[]).includes(key) ||
    Object.hasOwn(catalogKeys(queue), key)
  );
}

/**
 * The indexed value of an idempotency key: a digest of the key in its client's key space, so a
 * search finds only the jobs of the client that sent the key, and the raw keys are not kept.
 */
export function idempotencySearchValue(key: string, client?: string): string {
  return createHash('sha256')
    .update(`${client ?? ''}\n${key}`)
    .digest('hex')
    .slice(0, 40);
}

/**
 * The business keys of a job of `queue`: the catalog's (read from its data), its tenant and its
 * idempotency key. The job id is not indexed (a search by id reads the job directly). Values
 * that are not non-empty strings of at most {@link MAX_SEARCH_VALUE_LENGTH} characters are
 * left out.
 */
export function extractSearchKeys(
  queue: QueueName,
  data: unknown,
  sources: SearchKeySources = {},
): SearchKeys {
  const keys: SearchKeys = {};
  for (const [key, read] of Object.entries(catalogKeys(queue))) {
    const value = read(data);
    if (isIndexable(value)) keys[key] = value;
  }
  if (isIndexable(sources.tenant)) keys.tenant = sources.tenant;
  if (sources.idempotency !== undefined) {
    const { key, client } = sources.idempotency;
    keys.idempotencyKey = idempotencySearchValue(key, client);
  }
  return keys;
}

/** A NUL ends a value in its entries (`searchValuePrefix`): a value holding one is not indexed. */
function isIndexable(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_SEARCH_VALUE_LENGTH &&
    !value.includes('\0')
  );
}
