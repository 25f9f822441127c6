import type { ClientQuotaLimits } from './app-config.js';
import { parseClientEntries } from './client-entries.js';

const UNITS: Record<string, number> = { '': 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };
const AMOUNT = /^(\d{1,15})(KiB|MiB|GiB)?$/;

/**
 * Parses `API_CLIENT_QUOTAS`: `client=jobs:<n> bytes:<n>[KiB|MiB|GiB]; ...`, either limit
 * optional, the client `*` for every client not named.
 */
export function parseClientQuotas(
  value: string,
  clients: ReadonlySet<string>,
): { quotas: Map<string, ClientQuotaLimits>; problems: string[] } {
  const { entries, problems } = parseClientEntries(value, clients);
  const quotas = new Map<string, ClientQuotaLimits>();
  for (const { label, client, tokens } of entries) {
    const limits: { maxJobs?: number; maxBytes?: number } = {};
    if (tokens.length === 0) problems.push(`${label}: no limit; give jobs:<n> and/or bytes:<n>`);
    for (const token of tokens) {
      const [kind, amount = '', ...extra] = token.split(':');
      const parsed = AMOUNT.exec(amount);
      if (extra.length > 0 || (kind !== 'jobs' && kind !== 'bytes')) {
        problems.push(`${label}: ${token} is not jobs:<n> or bytes:<n>`);
      } else if (parsed === null || (kind === 'jobs' && parsed[2] !== undefined)) {
        problems.push(
          `${label}: ${token}: ${kind === 'jobs' ? 'a whole number' : 'a whole number, optionally with KiB, MiB or GiB'} is needed`,
        );
      } else {
        const number = Number(parsed[1]) * (UNITS[parsed[2] ?? ''] ?? 1);
        if (kind === 'jobs') limits.maxJobs = number;
        else limits.maxBytes = number;
      }
    }
    quotas.set(client, limits);
  }
  return { quotas, problems };
}
