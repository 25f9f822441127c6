import { ConfigError } from '@conveyor/redis';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './env.js';

const SECRET = 'a-secret-of-enough-length';
const configError = (env: Record<string, string>): ConfigError => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const { api, redis } = loadConfig({ API_TOKENS: `ci:${SECRET}` });
    expect(api).toEqual({
      port: 3000,
      host: '0.0.0.0',
      logLevel: 'info',
      apiTokens: [{ name: 'ci', secret: SECRET }],
      rateLimitPerMinute: 6000,
      maxJobBytes: 262144,
      slackSigningSecret: undefined,
      slackMaxBodyBytes: 131072,
      shutdownTimeoutMs: 10000,
      processes: 1,
      maxWaiters: 20000,
      maxEventStreams: 2000,
      eventsHeartbeatMs: 15000,
      eventsMaxBufferedBytes: 262144,
    });
    expect(redis.prefix).toBe('conveyor');
  });

  it('reads every variable', () => {
    const { api } = loadConfig({
      PORT: '8080',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'debug',
      API_TOKENS: ` ci:${SECRET} , ops:${SECRET}-2,`,
      RATE_LIMIT_PER_MINUTE: '0',
      MAX_JOB_BYTES: '4096',
      SLACK_SIGNING_SECRET: '0123456789abcdef0123',
      SLACK_MAX_BODY_BYTES: '65536',
      SHUTDOWN_TIMEOUT_MS: '500',
      API_PROCESSES: '2',
    });
    expect(api).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      logLevel: 'debug',
      apiTokens: [
        { name: 'ci', secret: SECRET },
        { name: 'ops', secret: `${SECRET}-2` },
      ],
      rateLimitPerMinute: 0,
      maxJobBytes: 4096,
      slackSigningSecret: '0123456789abcdef0123',
      slackMaxBodyBytes: 65536,
      shutdownTimeoutMs: 500,
      processes: 2,
    });
  });

  it('requires API_TOKENS', () => {
    expect(configError({}).issues).toEqual([{ variable: 'API_TOKENS', message: 'is required' }]);
    expect(configError({ API_TOKENS: '' }).issues[0]?.variable).toBe('API_TOKENS');
    expect(configError({ API_TOKENS: ' , ' }).message).toContain('API_TOKENS: is required');
  });

  it('rejects short secrets, duplicate names and entries without a name, never quoting a secret', () => {
    const error = configError({
      API_TOKENS: `ci:${SECRET},ci:${SECRET}-other,short:tiny-secret,baresecretwithoutname,:${SECRET}-x`,
    });
    expect(error.message).toContain('entry 2 (ci): the name ci is used twice');
    expect(error.message).toContain('entry 3 (short): the secret has 11 characters, at least 16');
    expect(error.message).toContain('entry 4 is not name:secret');
    expect(error.message).toContain('entry 5: the name must be');
    expect(error.message).not.toContain('tiny-secret');
    expect(error.message).not.toContain('baresecretwithoutname');
    expect(error.message).not.toContain(SECRET);
  });

  it('names every bad variable at once, the Redis ones included', () => {
    const error = configError({
      API_TOKENS: `ci:${SECRET}`,
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      RATE_LIMIT_PER_MINUTE: '-1',
      MAX_JOB_BYTES: '1.5',
      SLACK_SIGNING_SECRET: 'short',
      REDIS_PORT: 'x',
    });
    expect(error.issues.map((issue) => issue.variable).sort()).toEqual([
      'LOG_LEVEL',
      'MAX_JOB_BYTES',
      'PORT',
      'RATE_LIMIT_PER_MINUTE',
      'REDIS_PORT',
      'SLACK_SIGNING_SECRET',
    ]);
    expect(error.message).not.toContain('short');
  });
});
