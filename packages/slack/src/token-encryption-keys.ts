import { envFields } from '@conveyor/redis';
import type { z } from 'zod';

/** One key of `SLACK_TOKEN_ENCRYPTION_KEY`: 32 bytes for AES-256-GCM and the version it is stored under. */
export interface TokenEncryptionKey {
  /** Written as the first byte of every value sealed with this key (1-255). */
  version: number;
  /** 32 bytes. */
  key: Buffer;
}

const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const BASE64_KEY = /^[A-Za-z0-9+/_-]{43}=?$/;
const VERSIONED = /^(\d{1,3}):(.*)$/;

/** 32 bytes from 64 hex characters or base64 (standard or URL-safe); undefined otherwise. */
function decodeKey(text: string): Buffer | undefined {
  if (HEX_KEY.test(text)) return Buffer.from(text, 'hex');
  if (!BASE64_KEY.test(text)) return undefined;
  const key = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return key.length === 32 ? key : undefined;
}

/**
 * Parses `SLACK_TOKEN_ENCRYPTION_KEY`: one key (`<key>`, stored as version 1), or for a rotation
 * a comma-separated list of `<version>:<key>` whose first entry seals new values and whose
 * others only open values sealed before. A key is 32 bytes as 64 hex characters or base64
 * (`openssl rand -base64 32`). Problems name entries by position, never by value: they are
 * printed on the terminal.
 */
export function parseTokenEncryptionKeys(value: string): {
  keys: TokenEncryptionKey[];
  problems: string[];
} {
  const entries = value.split(',').map((entry) => entry.trim());
  const keys: TokenEncryptionKey[] = [];
  const problems: string[] = [];
  const versions = new Set<number>();
  entries.forEach((entry, index) => {
    const position = entries.length > 1 ? `entry ${index + 1}` : 'the key';
    const versioned = VERSIONED.exec(entry);
    if (entries.length > 1 && !versioned) {
      problems.push(`${position} must be <version>:<key> when several keys are listed`);
      return;
    }
    const version = versioned ? Number(versioned[1]) : 1;
    if (!(version >= 1 && version <= 255)) {
      problems.push(`${position}: the version must be 1-255`);
      return;
    }
    if (versions.has(version)) {
      problems.push(`${position}: version ${version} is listed twice`);
      return;
    }
    const key = decodeKey(versioned ? (versioned[2] ?? '') : entry);
    if (!key) {
      problems.push(
        `${position} must be 32 bytes, as 64 hex characters or base64 (e.g. \`openssl rand -base64 32\`)`,
      );
      return;
    }
    versions.add(version);
    keys.push({ version, key });
  });
  return { keys, problems };
}

/**
 * The zod field of `SLACK_TOKEN_ENCRYPTION_KEY` for an app's environment schema: undefined when
 * unset, else the parsed keys (current first); a bad value is a configuration error.
 */
export const tokenEncryptionKeysField = () =>
  envFields
    .optionalString()
    .superRefine((value, ctx) => {
      if (value === undefined) return;
      for (const message of parseTokenEncryptionKeys(value).problems) {
        ctx.addIssue({ code: 'custom', message });
      }
    })
    .transform((value) => (value === undefined ? undefined : parseTokenEncryptionKeys(value).keys));

export type TokenEncryptionKeysField = z.output<ReturnType<typeof tokenEncryptionKeysField>>;
