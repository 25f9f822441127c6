import type { ServerResponse } from 'node:http';
import type { QueueName } from '@conveyor/queues';
import type { ClientScopes, ScopeAction } from '../config/app-config.js';
import { ForbiddenError } from '../errors/forbidden-error.js';
import { clientOf } from './authenticated-client.js';

/**
 * Decides what an authenticated client may do, from `API_CLIENT_SCOPES`: a client named there
 * (or covered by `*`) may do only what its scopes list; any other keeps full access, so a
 * single-team set-up needs no scopes.
 */
export class AccessPolicy {
  readonly #scopes: ReadonlyMap<string, ClientScopes>;
  constructor(scopes: ReadonlyMap<string, ClientScopes>) {
    this.#scopes = scopes;
  }

  /** True when `client` may do `action` on `queue`. */
  allows(client: string, action: ScopeAction, queue: QueueName): boolean {
    const scopes = this.#scopes.get(client) ?? this.#scopes.get('*');
    return scopes === undefined || scopes.queues[action].has(queue);
  }

  /** The tenants `client` may enqueue for; undefined when any. */
  tenantsOf(client: string): ReadonlySet<string> | undefined {
    return (this.#scopes.get(client) ?? this.#scopes.get('*'))?.tenants;
  }

  /**
   * Throws {@link ForbiddenError} (HTTP 403) unless the request's client may do `action` on
   * `queue`. Call it before reading the body or looking anything up.
   */
  assert(res: ServerResponse, action: ScopeAction, queue: QueueName): void {
    const client = clientOf(res);
    if (client === undefined) throw new Error('access checks must run after authentication');
    if (!this.allows(client, action, queue)) throw new ForbiddenError(action, queue);
  }
}
