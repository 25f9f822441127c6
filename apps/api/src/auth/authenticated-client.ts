import type { ServerResponse } from 'node:http';

// Keyed by response so that Express and the enqueue fast path (plain Node objects) share it.
const clients = new WeakMap<ServerResponse, string>();

/** Records which client a request was authenticated as. */
export function setAuthenticatedClient(res: ServerResponse, client: string): void {
  clients.set(res, client);
}

/** The client a request was authenticated as, or undefined before (or without) authentication. */
export function clientOf(res: ServerResponse): string | undefined {
  return clients.get(res);
}
