import type { ApiToken } from './app-config.js';

/** Shortest accepted secret: guessing 16 random characters is out of reach, fewer may not be. */
export const MIN_SECRET_LENGTH = 16;
const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Parses `API_TOKENS` (`name:secret,name:secret`). Problems describe entries by position and
 * name, never by secret, because they end up in an error message on the terminal.
 */
export function parseApiTokens(value: string): { tokens: ApiToken[]; problems: string[] } {
  const tokens: ApiToken[] = [];
  const problems: string[] = [];
  const names = new Set<string>();
  const secrets = new Set<string>();
  const entries = value.split(',').map((entry) => entry.trim());
  entries.forEach((entry, index) => {
    if (entry === '') return;
    const position = `entry ${index + 1}`;
    const colon = entry.indexOf(':');
    if (colon < 0) {
      problems.push(`${position} is not name:secret`);
      return;
    }
    const name = entry.slice(0, colon).trim();
    const secret = entry.slice(colon + 1).trim();
    if (!NAME_PATTERN.test(name)) {
      problems.push(`${position}: the name must be 1-64 of A-Z a-z 0-9 _ . -`);
      return;
    }
    const label = `${position} (${name})`;
    if (secret.length < MIN_SECRET_LENGTH) {
      problems.push(
        `${label}: the secret has ${secret.length} characters, at least ${MIN_SECRET_LENGTH} are needed`,
      );
    } else if (/\s/.test(secret)) {
      problems.push(`${label}: the secret must not contain whitespace`);
    }
    if (names.has(name)) problems.push(`${label}: the name ${name} is used twice`);
    if (secrets.has(secret))
      problems.push(`${label}: the secret is the same as an earlier entry's`);
    names.add(name);
    secrets.add(secret);
    tokens.push({ name, secret });
  });
  if (tokens.length === 0 && problems.length === 0) {
    problems.push('is required: comma-separated name:secret pairs');
  }
  return { tokens, problems };
}
