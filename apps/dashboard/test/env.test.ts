import { ConfigError } from '@conveyor/redis';
import { describe, expect, it } from 'vitest';
import { loadEnvironment } from '../src/env.js';

const REDIS = { REDIS_URL: 'redis://127.0.0.1:6390' };
const CREDENTIALS = { DASHBOARD_USERNAME: 'admin', DASHBOARD_PASSWORD: 'twelve-chars-ok' };

function configError(env: Record<string, string>): ConfigError {
  try {
    loadEnvironment(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadEnvironment', () => {
  it('refuses to start without credentials, naming both variables and the way out', () => {
    const error = configError(REDIS);
    expect(error.issues.map((issue) => issue.variable)).toEqual([
      'DASHBOARD_USERNAME',
      'DASHBOARD_PASSWORD',
    ]);
    expect(error.message).toContain('DASHBOARD_AUTH=off');
  });

  it('names the one credential that is missing', () => {
    const error = configError({ ...REDIS, DASHBOARD_USERNAME: 'admin' });
    expect(error.issues.map((issue) => issue.variable)).toEqual(['DASHBOARD_PASSWORD']);
  });

  it('treats empty credentials as missing', () => {
    const error = configError({ ...REDIS, DASHBOARD_USERNAME: '', DASHBOARD_PASSWORD: '' });
    expect(error.issues).toHaveLength(2);
  });

  it('starts without credentials when DASHBOARD_AUTH=off is set explicitly', () => {
    const { dashboard } = loadEnvironment({ ...REDIS, DASHBOARD_AUTH: 'off' });
    expect(dashboard.credentials).toBeUndefined();
  });

  it('rejects a password shorter than 12 characters and a user name with a colon', () => {
    const error = configError({
      ...REDIS,
      DASHBOARD_USERNAME: 'ad:min',
      DASHBOARD_PASSWORD: 'eleven-char',
    });
    expect(error.issues).toEqual([
      { variable: 'DASHBOARD_USERNAME', message: expect.stringContaining("':'") },
      { variable: 'DASHBOARD_PASSWORD', message: 'must be at least 12 characters' },
    ]);
  });

  it('reports every bad variable at once, Redis ones included', () => {
    const error = configError({ REDIS_URL: 'http://x', PORT: 'eighty', DASHBOARD_AUTH: 'maybe' });
    expect(error.issues.map((issue) => issue.variable).sort()).toEqual([
      'DASHBOARD_AUTH',
      'DASHBOARD_PASSWORD',
      'DASHBOARD_USERNAME',
      'PORT',
      'REDIS_URL',
    ]);
  });

  it('applies the documented defaults', () => {
    const { dashboard, redis } = loadEnvironment({ ...REDIS, ...CREDENTIALS });
    expect(dashboard).toEqual({
      port: 3001,
      host: '0.0.0.0',
      logLevel: 'info',
      credentials: { username: 'admin', password: 'twelve-chars-ok' },
      readOnly: false,
      basePath: '/',
      trustProxy: false,
    });
    expect(redis.prefix).toBe('conveyor');
  });

  it('reads read-only mode, port, host, log level and a normalised base path', () => {
    const { dashboard } = loadEnvironment({
      ...REDIS,
      ...CREDENTIALS,
      DASHBOARD_READ_ONLY: 'true',
      DASHBOARD_BASE_PATH: 'ops/queues/',
      PORT: '8080',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      TRUST_PROXY: '1',
    });
    expect(dashboard).toMatchObject({
      trustProxy: 1,
      readOnly: true,
      basePath: '/ops/queues',
      port: 8080,
      host: '127.0.0.1',
      logLevel: 'warn',
    });
  });

  it('rejects a base path that is not a plain URL path', () => {
    const error = configError({ ...REDIS, ...CREDENTIALS, DASHBOARD_BASE_PATH: '/a b/?x' });
    expect(error.issues.map((issue) => issue.variable)).toEqual(['DASHBOARD_BASE_PATH']);
  });
});
