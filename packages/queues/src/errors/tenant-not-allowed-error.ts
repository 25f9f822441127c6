import { CodedError } from '@conveyor/errors';

/**
 * A client whose scopes list tenants (`tenant:<id>` in `API_CLIENT_SCOPES`) enqueued a job for
 * another tenant, named or derived from the payload, or replayed another tenant's dead letter.
 * Nothing was stored.
 */
export class TenantNotAllowedError extends CodedError {
  readonly code = 'TENANT_NOT_ALLOWED';

  constructor(
    readonly tenant: string,
    /**
     * Where the job is in the request: `options.tenant`, `jobs.<n>.options.tenant`, or `id` (the
     * dead letter replayed).
     */
    readonly path: string,
  ) {
    super(`This client's scopes do not allow jobs for tenant ${tenant} (API_CLIENT_SCOPES)`);
    this.name = 'TenantNotAllowedError';
  }
}
