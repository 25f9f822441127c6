import type { QueueDefinition } from '../queue-definition.js';
import { DEFAULT_TENANT, isTenant, TENANT_RULE } from './job-tenant.js';

/**
 * The tenant of a job: the request's own `options.tenant` when it names one, else what the queue
 * derives from the validated data, else {@link DEFAULT_TENANT}. A named tenant that is not
 * valid is refused (its issue path is `options.tenant`); a derived one that is not valid falls
 * back to the default.
 */
export function resolveTenant(
  definition: Pick<QueueDefinition, 'tenantOf'>,
  name: string,
  data: unknown,
  requested: unknown,
): { ok: true; tenant: string } | { ok: false; issue: { path: string; message: string } } {
  if (requested !== undefined) {
    return isTenant(requested)
      ? { ok: true, tenant: requested }
      : { ok: false, issue: { path: 'options.tenant', message: TENANT_RULE } };
  }
  const derived = definition.tenantOf?.(name, data);
  return { ok: true, tenant: isTenant(derived) ? derived : DEFAULT_TENANT };
}
