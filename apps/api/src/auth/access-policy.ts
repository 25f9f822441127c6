import type { ServerResponse } from 'node:http';
import { JobNotFoundError, type QueueName } from '@conveyor/queues';
import type { ClientScopes, ScopeAction } from '../config/app-config.js';
import { ForbiddenError } from '../errors/forbidden-error.js';
import { clientOf } from './authenticated-client.js';

/**
 * Decides what an authenticated client may do, from `API_CLIENT_SCOPES`: a client named there
 * (or covered by `*`) may do only what its scopes list; any other keeps full access, so a
 * single-team set-up needs no scopes.
 *
 * Tenant scopes (`tenant:<id>`) narrow every route that touches jobs, not only enqueue: the
 * routes ask here whether a job's tenant is the client's ({@link assertJobVisible},
 * {@link tenantsOfRequest}), so the rule lives in one place.
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

  /** The tenants `client` may enqueue for, read and replay; undefined when any. */
  tenantsOf(client: string): ReadonlySet<string> | undefined {
    return (this.#scopes.get(client) ?? this.#scopes.get('*'))?.tenants;
  }

  /**
   * Throws {@link ForbiddenError} (HTTP 403) unless the request's client may do `action` on
   * `queue`. Call it before reading the body or looking anything up.
   */
  assert(res: ServerResponse, action: ScopeAction, queue: QueueName): void {
    if (!this.allows(requireClient(res), action, queue)) throw new ForbiddenError(action, queue);
  }

  /** The tenants the request's client is limited to; undefined when any. */
  tenantsOfRequest(res: ServerResponse): ReadonlySet<string> | undefined {
    return this.tenantsOf(requireClient(res));
  }

  /**
   * Throws {@link JobNotFoundError} (HTTP 404) when job `id` of `queue`, of `tenant`, belongs to
   * a tenant outside the request's client's: another tenant's job reads as absent, so its
   * existence is not revealed.
   */
  assertJobVisible(res: ServerResponse, queue: string, id: string, tenant: string): void {
    const tenants = this.tenantsOfRequest(res);
    if (tenants !== undefined && !tenants.has(tenant)) throw new JobNotFoundError(queue, id);
  }

  /**
   * Throws {@link ForbiddenError} (HTTP 403) when the request's client has tenant scopes: a
   * queue-wide event stream mixes every tenant's jobs and its events do not carry the tenant.
   */
  assertWholeQueue(res: ServerResponse, queue: QueueName): void {
    if (this.tenantsOfRequest(res) !== undefined) {
      throw new ForbiddenError(
        'read',
        queue,
        'a client with tenant scopes may not read a whole queue',
      );
    }
  }
}

function requireClient(res: ServerResponse): string {
  const client = clientOf(res);
  if (client === undefined) throw new Error('access checks must run after authentication');
  return client;
}
