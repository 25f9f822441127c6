import { ConfigError } from '@conveyor/redis';
import { describe, expect, it } from 'vitest';
import { budgetConnections } from './config/connection-budget.js';
import { openFilesLimit, parseOpenFilesLimit } from './config/open-files-limit.js';
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
      clientScopes: new Map(),
      clientQuotas: new Map(),
      authFailuresPerMinute: 20,
      trustProxy: false,
      rateLimitPerMinute: 6000,
      maxDelayMs: 604_800_000,
      maxJobBytes: 262144,
      slackSigningSecret: undefined,
      slackMaxBodyBytes: 131072,
      shutdownTimeoutMs: 10000,
      maxConnections: Math.min(20000 + 2000 + 1024, (openFilesLimit() ?? 1e9) - 256),
      // Set where the open-files limit is below 23280, as it lowers the waiter/stream defaults.
      connectionLimitNote: (openFilesLimit() ?? 1e9) < 23_280 ? expect.any(String) : undefined,
      keepAliveTimeoutMs: 5000,
      processes: 1,
      metricsExporterLeaseMs: 60_000,
      maxWaiters: expect.any(Number),
      maxEventStreams: expect.any(Number),
      eventsHeartbeatMs: 15000,
      eventsMaxBufferedBytes: 262144,
      slackOAuth: undefined,
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
      METRICS_EXPORTER_LEASE_MS: '90000',
      TRUST_PROXY: 'loopback, 10.0.0.0/8',
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
      metricsExporterLeaseMs: 90_000,
      trustProxy: ['loopback', '10.0.0.0/8'],
    });
  });

  it('leaves a connection for every wait and stream the process allows', () => {
    const api = (env: Record<string, string>) =>
      loadConfig({ API_TOKENS: `ci:${SECRET}`, ...env }).api;
    expect(api({ MAX_WAITERS: '10000', MAX_EVENT_STREAMS: '1000' }).maxConnections).toBe(12_024);
    expect(
      api({ MAX_WAITERS: '10', MAX_EVENT_STREAMS: '5', API_MAX_CONNECTIONS: '16' }).maxConnections,
    ).toBe(16);
    const error = configError({
      API_TOKENS: `ci:${SECRET}`,
      API_MAX_CONNECTIONS: '1024',
      MAX_WAITERS: '1000',
      MAX_EVENT_STREAMS: '24',
    });
    expect(error.message).toMatch(
      /API_MAX_CONNECTIONS.*1024.*MAX_WAITERS \(1000\).*MAX_EVENT_STREAMS \(24\).*above 1024/,
    );
    expect(
      configError({ API_TOKENS: `ci:${SECRET}`, API_MAX_CONNECTIONS: '100', MAX_WAITERS: '100' })
        .issues[0]?.variable,
    ).toBe('API_MAX_CONNECTIONS');
  });

  it('lowers unset waiter/stream limits to fit an API_MAX_CONNECTIONS set below them', () => {
    // An upgrade keeping API_MAX_CONNECTIONS=4096 with the default MAX_WAITERS still starts.
    const api = loadConfig({ API_TOKENS: `ci:${SECRET}`, API_MAX_CONNECTIONS: '4096' }).api;
    expect(api.maxConnections).toBe(4096);
    expect(api.maxWaiters + api.maxEventStreams).toBeLessThan(4096);
    expect(api.maxWaiters).toBeGreaterThan(api.maxEventStreams);
    expect(api.maxEventStreams).toBeGreaterThan(0);
    expect(api.connectionLimitNote).toMatch(/API_MAX_CONNECTIONS is 4096.*MAX_WAITERS to \d+/);
    // One limit set explicitly is kept; the other takes what is left.
    const kept = loadConfig({
      API_TOKENS: `ci:${SECRET}`,
      API_MAX_CONNECTIONS: '4096',
      MAX_EVENT_STREAMS: '500',
    }).api;
    expect(kept.maxEventStreams).toBe(500);
    expect(kept.maxWaiters + 500).toBeLessThan(4096);
    expect(kept.connectionLimitNote).not.toContain('MAX_EVENT_STREAMS to');
  });

  it('caps the default API_MAX_CONNECTIONS at the open-files limit', () => {
    const budget = (openFiles: number | undefined) =>
      budgetConnections({
        maxConnections: undefined,
        maxWaiters: undefined,
        maxEventStreams: undefined,
        openFiles,
      });
    expect(budget(undefined)).toMatchObject({ maxConnections: 23_024, maxWaiters: 20_000 });
    expect(budget(1_048_576)).toMatchObject({ maxConnections: 23_024, note: undefined });
    const tight = budget(4096);
    if ('problem' in tight) throw new Error(tight.problem);
    expect(tight.maxConnections).toBe(4096 - 256);
    expect(tight.maxWaiters + tight.maxEventStreams).toBeLessThan(tight.maxConnections);
    expect(tight.note).toContain('open-files limit 4096');
    // Limits set explicitly are honoured past it rather than refused.
    expect(
      budgetConnections({
        maxConnections: undefined,
        maxWaiters: 5000,
        maxEventStreams: 100,
        openFiles: 4096,
      }),
    ).toMatchObject({ maxConnections: 6124, maxWaiters: 5000, note: undefined });
  });

  it('reads the soft open-files limit from /proc/self/limits', () => {
    expect(
      parseOpenFilesLimit(
        'Max processes             63707                63707                processes\nMax open files            1024                 4096                 files     \n',
      ),
    ).toBe(1024);
    expect(
      parseOpenFilesLimit(
        'Max open files            unlimited            unlimited            files',
      ),
    ).toBe(undefined);
    if (process.platform === 'linux') expect(openFilesLimit()).toBeGreaterThan(0);
  });

  it('reads TRUST_PROXY as a hop count and refuses trusting every address', () => {
    expect(loadConfig({ API_TOKENS: `ci:${SECRET}`, TRUST_PROXY: '1' }).api.trustProxy).toBe(1);
    expect(configError({ API_TOKENS: `ci:${SECRET}`, TRUST_PROXY: 'true' }).issues[0]).toEqual({
      variable: 'TRUST_PROXY',
      message: expect.stringContaining('X-Forwarded-For'),
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

  it('reads API_CLIENT_SCOPES: action:queue pairs per client, * for any action, queue or client', () => {
    const { api } = loadConfig({
      API_TOKENS: `ci:${SECRET},ops:${SECRET}-2`,
      API_CLIENT_SCOPES:
        ' ci = enqueue:ingestion  read:ingestion ; ops=read:* replay:slack-events;*=cancel:ingestion;',
    });
    const queues = (client: string) =>
      Object.fromEntries(
        Object.entries(api.clientScopes.get(client)?.queues ?? {}).map(([action, set]) => [
          action,
          [...set].sort(),
        ]),
      );
    expect(queues('ci')).toEqual({
      enqueue: ['ingestion'],
      read: ['ingestion'],
      replay: [],
      cancel: [],
    });
    expect(queues('ops')).toEqual({
      enqueue: [],
      read: ['ingestion', 'slack-events'],
      replay: ['slack-events'],
      cancel: [],
    });
    expect(queues('*').cancel).toEqual(['ingestion']);
  });

  it('explains every mistake in API_CLIENT_SCOPES', () => {
    const error = configError({
      API_TOKENS: `ci:${SECRET},ops:${SECRET}-2`,
      API_CLIENT_SCOPES:
        'ci=enqueue:ingestion write:ingestion enqueue:nope read; ghost=read:*; ops=tenant:acme tenant:bad/one; ci=read:*; ops2',
    });
    expect(error.issues.every((issue) => issue.variable === 'API_CLIENT_SCOPES')).toBe(true);
    const message = error.message;
    expect(message).toContain(
      'entry 1 (ci): write:ingestion: the action must be one of enqueue, read, replay, cancel or *',
    );
    expect(message).toContain(
      'entry 1 (ci): enqueue:nope: the queue must be one of slack-events, ingestion or *',
    );
    expect(message).toContain('entry 1 (ci): read is not action:queue');
    expect(message).toContain('entry 2 (ghost): ghost is not a client name from API_TOKENS');
    expect(message).toContain('entry 3 (ops): tenant:bad/one: the tenant must be 1-128');
    expect(message).toContain('entry 4 (ci): ci is listed twice');
    expect(message).toContain('entry 5 is not client=...');
  });

  it('reads API_CLIENT_QUOTAS and explains its mistakes', () => {
    const { api } = loadConfig({
      API_TOKENS: `ci:${SECRET},ops:${SECRET}-2`,
      API_CLIENT_QUOTAS: 'ci=jobs:1000 bytes:64MiB; *=bytes:512KiB',
    });
    expect(api.clientQuotas.get('ci')).toEqual({ maxJobs: 1000, maxBytes: 64 * 1024 * 1024 });
    expect(api.clientQuotas.get('*')).toEqual({ maxBytes: 512 * 1024 });
    const error = configError({
      API_TOKENS: `ci:${SECRET}`,
      API_CLIENT_QUOTAS: 'ci=jobs:many bytes:10MB waiting:3 jobs:5KiB; ops=jobs:1',
    });
    expect(error.issues.every((issue) => issue.variable === 'API_CLIENT_QUOTAS')).toBe(true);
    expect(error.message).toContain('entry 1 (ci): jobs:many: a whole number is needed');
    expect(error.message).toContain(
      'entry 1 (ci): bytes:10MB: a whole number, optionally with KiB, MiB or GiB is needed',
    );
    expect(error.message).toContain('entry 1 (ci): waiting:3 is not jobs:<n> or bytes:<n>');
    expect(error.message).toContain('entry 1 (ci): jobs:5KiB: a whole number is needed');
    expect(error.message).toContain('entry 2 (ops): ops is not a client name from API_TOKENS');
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

  describe('the Slack install flow', () => {
    const KEY = Buffer.alloc(32, 7).toString('base64');
    const OAUTH = {
      API_TOKENS: `ci:${SECRET}`,
      SLACK_CLIENT_ID: '123.456',
      SLACK_CLIENT_SECRET: 'client-secret-value',
      SLACK_STATE_SECRET: 's'.repeat(32),
      SLACK_TOKEN_ENCRYPTION_KEY: KEY,
    };

    it('is on with the client id, and defaults its scopes, URLs and rate limit', () => {
      expect(loadConfig(OAUTH).api.slackOAuth).toEqual({
        clientId: '123.456',
        clientSecret: 'client-secret-value',
        stateSecret: 's'.repeat(32),
        scopes: [
          'app_mentions:read',
          'chat:write',
          'channels:history',
          'groups:history',
          'commands',
        ],
        tokenKeys: [{ version: 1, key: Buffer.alloc(32, 7) }],
        authorizeUrl: 'https://slack.com/oauth/v2/authorize',
        apiUrl: 'https://slack.com/api/',
        rateLimitPerMinute: 30,
      });
      expect(
        loadConfig({
          ...OAUTH,
          SLACK_SCOPES: 'chat:write, app_mentions:read',
          SLACK_INSTALL_REDIRECT_URL: 'https://conveyor.example.com/slack/oauth_redirect',
        }).api.slackOAuth,
      ).toMatchObject({
        scopes: ['chat:write', 'app_mentions:read'],
        redirectUrl: 'https://conveyor.example.com/slack/oauth_redirect',
      });
    });

    it('names every missing or bad part without printing secrets', () => {
      const missing = configError({ API_TOKENS: `ci:${SECRET}`, SLACK_CLIENT_ID: '1.2' });
      expect(missing.issues.map((issue) => issue.variable).sort()).toEqual([
        'SLACK_CLIENT_SECRET',
        'SLACK_STATE_SECRET',
        'SLACK_TOKEN_ENCRYPTION_KEY',
      ]);
      const bad = configError({
        ...OAUTH,
        SLACK_STATE_SECRET: 'too-short-state',
        SLACK_TOKEN_ENCRYPTION_KEY: 'not-a-32-byte-key',
        SLACK_SCOPES: 'chat:write,DROP TABLE',
      });
      expect(bad.issues.map((issue) => `${issue.variable}: ${issue.message}`).sort()).toEqual([
        expect.stringMatching(/^SLACK_SCOPES: .*"DROP TABLE"/),
        expect.stringMatching(/^SLACK_STATE_SECRET: has 15 characters/),
        expect.stringMatching(/^SLACK_TOKEN_ENCRYPTION_KEY: the key must be 32 bytes/),
      ]);
      expect(bad.message).not.toContain('not-a-32-byte-key');
      expect(bad.message).not.toContain('too-short-state');
      const orphan = configError({ API_TOKENS: `ci:${SECRET}`, SLACK_CLIENT_SECRET: 'x' });
      expect(orphan.issues.map((issue) => issue.variable)).toEqual(['SLACK_CLIENT_SECRET']);
    });
  });
});
