/**
 * Log fields that carry secrets. pino replaces their values with `[redacted]` before a line is
 * written, so no token, signature or password reaches a log, whatever logged it.
 */
export const REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-slack-signature"]',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-slack-signature"]',
  'password',
  'token',
  'secret',
  'authorization',
  '*.password',
  '*.token',
  '*.secret',
  '*.authorization',
  '*.apiTokens',
  '*.signingSecret',
  '*.botToken',
  '*.clientSecret',
  '*.stateSecret',
  '*.tokenKeys',
  '*.client_secret',
  'config.redis.password',
  'config.redis.target.sentinelPassword',
  'config.redis.tls.key',
  // ioredis attaches the failed command to its errors: AUTH's arguments are the Redis user and
  // password, and other commands' arguments carry job payloads.
  '*.command.args',
];
