import { envFields } from '@conveyor/redis';
import { type TokenEncryptionKey, tokenEncryptionKeysField } from '@conveyor/slack';
import type { z } from 'zod';

const { optionalString, integer } = envFields;

/** Bot scopes the built-in handlers need: mentions, replies, and the check of an earlier reply. */
export const DEFAULT_SLACK_SCOPES = [
  'app_mentions:read',
  'chat:write',
  'channels:history',
  'groups:history',
  'commands',
] as const;

const SCOPE = /^[a-z][a-z_.]*(:[a-z_.]+)*$/;

/** The install flow's settings, present only when `SLACK_CLIENT_ID` is set. */
export interface SlackOAuthSettings {
  /** `SLACK_CLIENT_ID` */
  clientId: string;
  /** `SLACK_CLIENT_SECRET` */
  clientSecret: string;
  /** `SLACK_STATE_SECRET`: signs the `state` of each install. */
  stateSecret: string;
  /**
   * Bot scopes requested at install (`SLACK_SCOPES`, comma-separated).
   * @defaultValue {@link DEFAULT_SLACK_SCOPES}
   */
  scopes: string[];
  /**
   * Where Slack sends the installer back (`SLACK_INSTALL_REDIRECT_URL`): this API's
   * `/slack/oauth_redirect` as the browser reaches it. Never derived from the request's `Host`,
   * which the client chooses.
   * @defaultValue unset: Slack uses the app's only configured Redirect URL
   */
  redirectUrl?: string;
  /** Installations are sealed with these (`SLACK_TOKEN_ENCRYPTION_KEY`), current first. */
  tokenKeys: TokenEncryptionKey[];
  /**
   * Slack's authorize page (`SLACK_AUTHORIZE_URL`); tests point it at a fake.
   * @defaultValue 'https://slack.com/oauth/v2/authorize'
   */
  authorizeUrl: string;
  /**
   * Web API base for `oauth.v2.access` and `auth.test` (`SLACK_API_URL`).
   * @defaultValue 'https://slack.com/api/'
   */
  apiUrl: string;
  /**
   * Requests per source address per minute to `/slack/install` and `/slack/oauth_redirect`
   * (`SLACK_OAUTH_RATE_LIMIT_PER_MINUTE`), counted in Redis; 0 turns it off.
   * @defaultValue 30
   */
  rateLimitPerMinute: number;
}

const httpUrl = () =>
  optionalString().superRefine((value, ctx) => {
    if (value === undefined) return;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not a valid URL' });
      return;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      ctx.addIssue({ code: 'custom', message: 'must be http(s)' });
    }
  });

/** The install flow's variables, spread into the API's environment schema. */
export const slackOAuthEnvFields = {
  SLACK_CLIENT_ID: optionalString(),
  SLACK_CLIENT_SECRET: optionalString(),
  SLACK_STATE_SECRET: optionalString().superRefine((value, ctx) => {
    if (value !== undefined && value.length < 32) {
      ctx.addIssue({
        code: 'custom',
        message: `has ${value.length} characters; use at least 32 random ones (e.g. \`openssl rand -hex 32\`)`,
      });
    }
  }),
  SLACK_SCOPES: optionalString().superRefine((value, ctx) => {
    if (value === undefined) return;
    const bad = splitScopes(value).filter((scope) => !SCOPE.test(scope));
    if (bad.length > 0 || splitScopes(value).length === 0) {
      ctx.addIssue({
        code: 'custom',
        message: `must be comma-separated Slack scopes such as chat:write; not scopes: ${bad.map((s) => JSON.stringify(s)).join(', ')}`,
      });
    }
  }),
  SLACK_INSTALL_REDIRECT_URL: httpUrl(),
  SLACK_AUTHORIZE_URL: httpUrl(),
  SLACK_API_URL: httpUrl(),
  SLACK_TOKEN_ENCRYPTION_KEY: tokenEncryptionKeysField(),
  SLACK_OAUTH_RATE_LIMIT_PER_MINUTE: integer({ default: 30, min: 0, max: 1_000_000 }),
};

type SlackOAuthEnv = {
  [K in keyof typeof slackOAuthEnvFields]?: z.output<(typeof slackOAuthEnvFields)[K]>;
};

const splitScopes = (value: string) =>
  value
    .split(',')
    .map((scope) => scope.trim())
    .filter(Boolean);

const REQUIRED = [
  'SLACK_CLIENT_SECRET',
  'SLACK_STATE_SECRET',
  'SLACK_TOKEN_ENCRYPTION_KEY',
] as const;

/**
 * The install flow is on when `SLACK_CLIENT_ID` is set; it then needs the secret, the state
 * secret and the encryption key. A secret without the client id is a half-done configuration.
 */
export function checkSlackOAuthEnv(env: SlackOAuthEnv, ctx: z.RefinementCtx): void {
  if (env.SLACK_CLIENT_ID === undefined) {
    for (const variable of ['SLACK_CLIENT_SECRET', 'SLACK_STATE_SECRET'] as const) {
      if (env[variable] !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [variable],
          message: 'is set but SLACK_CLIENT_ID is not: set both to turn on the Slack install flow',
        });
      }
    }
    return;
  }
  for (const variable of REQUIRED) {
    if (env[variable] === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [variable],
        message: 'is required when SLACK_CLIENT_ID is set (the Slack install flow)',
      });
    }
  }
}

/** The settings, or undefined when the install flow is off. Call after {@link checkSlackOAuthEnv}. */
export function slackOAuthSettingsOf(env: SlackOAuthEnv): SlackOAuthSettings | undefined {
  const { SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_STATE_SECRET, SLACK_TOKEN_ENCRYPTION_KEY } =
    env;
  if (!SLACK_CLIENT_ID || !SLACK_CLIENT_SECRET || !SLACK_STATE_SECRET) return undefined;
  if (!SLACK_TOKEN_ENCRYPTION_KEY) return undefined;
  return {
    clientId: SLACK_CLIENT_ID,
    clientSecret: SLACK_CLIENT_SECRET,
    stateSecret: SLACK_STATE_SECRET,
    scopes: env.SLACK_SCOPES ? splitScopes(env.SLACK_SCOPES) : [...DEFAULT_SLACK_SCOPES],
    ...(env.SLACK_INSTALL_REDIRECT_URL ? { redirectUrl: env.SLACK_INSTALL_REDIRECT_URL } : {}),
    tokenKeys: SLACK_TOKEN_ENCRYPTION_KEY,
    authorizeUrl: env.SLACK_AUTHORIZE_URL ?? 'https://slack.com/oauth/v2/authorize',
    apiUrl: env.SLACK_API_URL ?? 'https://slack.com/api/',
    rateLimitPerMinute: env.SLACK_OAUTH_RATE_LIMIT_PER_MINUTE ?? 30,
  };
}
