// @ts-check
/**
 * The console's calls to its own server (relative URLs: the page is served at `…/console/`).
 * Every replay and cancel carries the header the server requires as proof that it comes from
 * this page.
 */

/** @typedef {{ start: number, values: number[] }} MinuteSeries */
/** @typedef {{ start: number, mean: (number|null)[], max: (number|null)[] }} LatencySeries */
/**
 * @typedef {{
 *   queue: string,
 *   counts: { waiting: number, prioritized: number, delayed: number, active: number,
 *     completed: number, failed: number, deadLetters: number },
 *   paused: boolean,
 *   completedPerMinute: MinuteSeries,
 *   failedPerMinute: MinuteSeries,
 *   latency: LatencySeries,
 * }} QueueSnapshot
 */
/** @typedef {{ board: string, deadLetterBoard: string, console: string }} Links */
/**
 * @typedef {{ readOnly: boolean, links: Links, queues: QueueSnapshot[], searchKeys: string[],
 *   features: { search: boolean, tenants: boolean } }} Overview
 */
/** @typedef {{ tenant: string, waiting: number, active: number, limitedUntil?: number }} Tenant */
/**
 * @typedef {{ id: string, queue: string, jobId: string, name: string, failedReason: string,
 *   attemptsMade: number, reason?: string, unrecoverable: boolean, failedAt: string }} DeadLetter
 */
/**
 * @typedef {{ id: string, name: string, state: string, createdAt: number,
 *   processedOn: number|null, attemptsMade: number }} ListedJob
 */
/**
 * @typedef {{ queue: string, id: string, name: string, state: string, tenant?: string|null,
 *   createdAt: string|number, finishedAt?: string|number, failedReason?: string,
 *   deadLetter: boolean }} FoundJob
 */
/**
 * @typedef {{ replayed: { queue: string, id: string, jobId: string }[],
 *   failed: { queue: string, id: string, message: string }[] }} ReplayResult
 */

/** An answer other than 2xx, with the server's error code. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * @param {Response} response
 * @returns {Promise<any>}
 */
async function read(response) {
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = body?.error ?? {};
    throw new ApiError(response.status, error.code ?? 'HTTP', error.message ?? response.statusText);
  }
  return body;
}

/**
 * @param {string} path
 * @returns {Promise<any>}
 */
export async function get(path) {
  return read(await fetch(path, { headers: { accept: 'application/json' } }));
}

/**
 * A replay or cancel: JSON, with the console's header.
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
export async function post(path, body) {
  return read(
    await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-conveyor-console': '1' },
      body: JSON.stringify(body ?? {}),
    }),
  );
}

/** @returns {Promise<Overview>} */
export const overview = () => get('api/overview');

/**
 * @param {string} queue
 * @returns {Promise<{ total: number, items: DeadLetter[] }>}
 */
export const deadLetters = (queue) =>
  get(`api/queues/${encodeURIComponent(queue)}/dead-letters?limit=100`);

/**
 * @param {string} queue
 * @param {string[]} ids
 * @returns {Promise<ReplayResult>}
 */
export const replay = (queue, ids) =>
  post(`api/queues/${encodeURIComponent(queue)}/dead-letters/replay`, { ids });

/**
 * @param {string} queue
 * @param {string} state
 * @returns {Promise<{ jobs: ListedJob[] }>}
 */
export const jobs = (queue, state) =>
  get(`api/queues/${encodeURIComponent(queue)}/jobs?state=${encodeURIComponent(state)}`);

/**
 * @param {string} queue
 * @param {string} id
 * @returns {Promise<{ id: string, state: string }>}
 */
export const cancel = (queue, id) =>
  post(`api/queues/${encodeURIComponent(queue)}/jobs/${encodeURIComponent(id)}/cancel`);

/**
 * @param {string} key
 * @param {string} value
 * @returns {Promise<{ jobs: FoundJob[], next?: string }>}
 */
export const search = (key, value) =>
  get(`api/search?${new URLSearchParams({ key, value, limit: '100' })}`);

/**
 * @param {string} key
 * @param {string} value
 * @returns {Promise<ReplayResult>}
 */
export const replaySearch = (key, value) => post('api/dead-letters/replay-search', { key, value });

/**
 * @param {string} queue
 * @returns {Promise<{ tenants: Tenant[], next?: string }>}
 */
export const tenants = (queue) => get(`api/queues/${encodeURIComponent(queue)}/tenants`);
