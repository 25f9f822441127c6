import { isTenant, QUEUE_NAMES, type QueueName, TENANT_RULE } from '@conveyor/queues';
import { type ClientScopes, SCOPE_ACTIONS, type ScopeAction } from './app-config.js';
import { parseClientEntries } from './client-entries.js';

const isAction = (value: string): value is ScopeAction =>
  (SCOPE_ACTIONS as readonly string[]).includes(value);
const isQueue = (value: string): value is QueueName =>
  (QUEUE_NAMES as readonly string[]).includes(value);

/**
 * Parses `API_CLIENT_SCOPES`: `client=scope scope ...; client=...`, each scope `action:queue`
 * with action one of {@link SCOPE_ACTIONS} (or `*`) and queue a catalog queue (or `*`). The
 * client `*` stands for every client not named. `tenant:<id>` limits the tenants the client may
 * enqueue jobs for (any number of them; none listed: every tenant).
 */
export function parseClientScopes(
  value: string,
  clients: ReadonlySet<string>,
): { scopes: Map<string, ClientScopes>; problems: string[] } {
  const { entries, problems } = parseClientEntries(value, clients);
  const scopes = new Map<string, ClientScopes>();
  for (const { label, client, tokens } of entries) {
    const queues = Object.fromEntries(
      SCOPE_ACTIONS.map((action) => [action, new Set<QueueName>()]),
    ) as Record<ScopeAction, Set<QueueName>>;
    const tenants = new Set<string>();
    if (tokens.length === 0) {
      problems.push(`${label}: no scope; list action:queue pairs, e.g. enqueue:ingestion`);
    }
    for (const token of tokens) {
      const [action = '', queue, ...extra] = token.split(':');
      if (action === 'tenant') {
        // Tenants may hold `:` themselves (`tenant:org:42`).
        const tenant = token.slice('tenant:'.length);
        if (isTenant(tenant)) tenants.add(tenant);
        else problems.push(`${label}: ${token}: the tenant ${TENANT_RULE}`);
        continue;
      }
      if (queue === undefined || extra.length > 0) {
        problems.push(`${label}: ${token} is not action:queue`);
        continue;
      }
      if (action !== '*' && !isAction(action)) {
        problems.push(
          `${label}: ${token}: the action must be one of ${SCOPE_ACTIONS.join(', ')} or *`,
        );
        continue;
      }
      if (queue !== '*' && !isQueue(queue)) {
        problems.push(
          `${label}: ${token}: the queue must be one of ${QUEUE_NAMES.join(', ')} or *`,
        );
        continue;
      }
      for (const each of action === '*' ? SCOPE_ACTIONS : [action]) {
        for (const name of queue === '*' ? QUEUE_NAMES : [queue]) queues[each].add(name);
      }
    }
    scopes.set(client, { queues, ...(tenants.size > 0 ? { tenants } : {}) });
  }
  return { scopes, problems };
}
