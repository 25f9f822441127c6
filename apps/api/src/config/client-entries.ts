/** One `name=token token ...` entry of a per-client variable (`API_CLIENT_SCOPES`, ...). */
export interface ClientEntry {
  /** `entry N (name)`, for problems. */
  label: string;
  /** A client name from `API_TOKENS`, or `*` for every client not named. */
  client: string;
  tokens: string[];
}

/**
 * Splits a per-client variable: entries separated by `;`, each `client=tokens` with the tokens
 * separated by spaces (`ci=enqueue:ingestion read:ingestion; ops=read:*`). Checks the client
 * names against `clients` (the `API_TOKENS` names) and that none repeats; problems name entries
 * by position and client.
 */
export function parseClientEntries(
  value: string,
  clients: ReadonlySet<string>,
): { entries: ClientEntry[]; problems: string[] } {
  const entries: ClientEntry[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  value.split(';').forEach((raw, index) => {
    const text = raw.trim();
    if (text === '') return;
    const equals = text.indexOf('=');
    if (equals < 0) {
      problems.push(`entry ${index + 1} is not client=...`);
      return;
    }
    const client = text.slice(0, equals).trim();
    const label = `entry ${index + 1} (${client})`;
    if (client !== '*' && !clients.has(client)) {
      problems.push(`${label}: ${client} is not a client name from API_TOKENS`);
      return;
    }
    if (seen.has(client)) problems.push(`${label}: ${client} is listed twice`);
    seen.add(client);
    const tokens = text
      .slice(equals + 1)
      .split(/\s+/)
      .filter((token) => token !== '');
    entries.push({ label, client, tokens });
  });
  return { entries, problems };
}
