/**
 * Connections an API process accepts beyond its waits and event streams when
 * `API_MAX_CONNECTIONS` is unset: room for the requests that come and go.
 */
export const CONNECTIONS_BESIDE_SUBSCRIBERS = 1024;

/** File descriptors kept out of the default connection limit for Redis sockets, logs and files. */
export const FILES_BESIDE_CONNECTIONS = 256;

/** Default `MAX_WAITERS`. */
export const DEFAULT_MAX_WAITERS = 20_000;

/** Default `MAX_EVENT_STREAMS`. */
export const DEFAULT_MAX_EVENT_STREAMS = 2000;

/** The connection-related variables as set (`undefined` when unset). */
export interface ConnectionSettings {
  /** `API_MAX_CONNECTIONS`. */
  maxConnections: number | undefined;
  /** `MAX_WAITERS`. */
  maxWaiters: number | undefined;
  /** `MAX_EVENT_STREAMS`. */
  maxEventStreams: number | undefined;
  /** The process's soft open-files limit, `undefined` when unknown. */
  openFiles: number | undefined;
}

/** The limits a process applies, with a note when they differ from what was asked. */
export interface ConnectionBudget {
  maxConnections: number;
  maxWaiters: number;
  maxEventStreams: number;
  /** Why the waiter/stream limits were lowered, for one startup log line; else `undefined`. */
  note: string | undefined;
}

/**
 * Fits waits and event streams (one connection each, while they last) inside the connection
 * limit. `API_MAX_CONNECTIONS` unset: room for all of them plus
 * {@link CONNECTIONS_BESIDE_SUBSCRIBERS}, but no more than the open-files limit allows. Limits
 * left unset are lowered to fit (sharing the room as their defaults do), so a deployment that set
 * only `API_MAX_CONNECTIONS` keeps starting.
 * @returns the budget, or a problem message when limits set explicitly cannot fit.
 */
export function budgetConnections(
  settings: ConnectionSettings,
): ConnectionBudget | { problem: string } {
  const waiters = settings.maxWaiters ?? DEFAULT_MAX_WAITERS;
  const streams = settings.maxEventStreams ?? DEFAULT_MAX_EVENT_STREAMS;
  const fixed = (settings.maxWaiters ?? 0) + (settings.maxEventStreams ?? 0);
  let maxConnections = settings.maxConnections;
  if (maxConnections === undefined) {
    const wanted = waiters + streams + CONNECTIONS_BESIDE_SUBSCRIBERS;
    const fileRoom =
      settings.openFiles === undefined
        ? wanted
        : Math.max(1, settings.openFiles - FILES_BESIDE_CONNECTIONS);
    // Limits set explicitly are kept even past the open-files limit: the operator asked for them.
    maxConnections = fixed < fileRoom ? Math.min(wanted, fileRoom) : wanted;
  } else if (fixed >= maxConnections) {
    return {
      problem: `is ${maxConnections}, but MAX_WAITERS (${waiters}) and MAX_EVENT_STREAMS (${streams}) each hold a connection: raise API_MAX_CONNECTIONS above ${waiters + streams} (with room for other requests), or lower MAX_WAITERS/MAX_EVENT_STREAMS`,
    };
  }
  if (waiters + streams < maxConnections) {
    return { maxConnections, maxWaiters: waiters, maxEventStreams: streams, note: undefined };
  }
  // Keep a quarter (at most CONNECTIONS_BESIDE_SUBSCRIBERS) for other requests when room allows.
  const beside = Math.max(
    1,
    Math.min(CONNECTIONS_BESIDE_SUBSCRIBERS, Math.floor(maxConnections / 4)),
  );
  const room = Math.max(0, maxConnections - fixed - beside);
  const unset =
    (settings.maxWaiters === undefined ? waiters : 0) +
    (settings.maxEventStreams === undefined ? streams : 0);
  const share = (asked: number) => Math.floor((room * asked) / unset);
  const maxWaiters = settings.maxWaiters ?? share(waiters);
  const maxEventStreams = settings.maxEventStreams ?? share(streams);
  const lowered = [
    settings.maxWaiters === undefined ? `MAX_WAITERS to ${maxWaiters}` : undefined,
    settings.maxEventStreams === undefined ? `MAX_EVENT_STREAMS to ${maxEventStreams}` : undefined,
  ].filter((part) => part !== undefined);
  const why =
    settings.maxConnections === undefined
      ? ` (open-files limit ${settings.openFiles} less ${FILES_BESIDE_CONNECTIONS})`
      : '';
  return {
    maxConnections,
    maxWaiters,
    maxEventStreams,
    note: `API_MAX_CONNECTIONS is ${maxConnections}${why}: lowered ${lowered.join(' and ')} so each wait and event stream has a connection; set them explicitly to choose`,
  };
}
