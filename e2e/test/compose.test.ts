import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SERVICES, serviceCommand } from '../../scripts/services.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test?: string[] };
  depends_on?: Record<string, { condition?: string }>;
  deploy?: { replicas?: number };
  env_file?: unknown;
  stop_grace_period?: string;
}

describe('docker-compose.yml (no Docker engine here: validated by structure)', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as {
    services: Record<string, ComposeService>;
    volumes: Record<string, unknown>;
  };
  const { services } = compose;

  it('runs Redis from the official image with redis.conf, a volume and a health check', () => {
    const redis = services.redis;
    expect(redis?.image).toMatch(/^redis:7/);
    expect(redis?.volumes).toContain('./redis.conf:/usr/local/etc/redis/redis.conf:ro');
    expect(redis?.volumes?.some((volume) => volume.startsWith('redis-data:'))).toBe(true);
    expect(compose.volumes).toHaveProperty('redis-data');
    expect(redis?.command?.slice(0, 2)).toEqual([
      'redis-server',
      '/usr/local/etc/redis/redis.conf',
    ]);
    expect(redis?.command).toContain('--requirepass');
    expect(redis?.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
  });

  it('runs the API, two worker replicas and the dashboard with the commands pnpm start uses', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'dashboard', 'redis', 'worker']);
    for (const { name } of SERVICES) {
      const service = services[name];
      expect(service?.command, name).toEqual(serviceCommand(name));
      expect(service?.build ?? service?.image, name).toBeDefined();
      expect(service?.depends_on?.redis?.condition, name).toBe('service_healthy');
      expect(service?.healthcheck?.test?.[0], name).toBe('CMD');
      expect(service?.env_file, name).toBe('.env');
    }
    expect(services.worker?.deploy?.replicas).toBe(2);
    expect(services.api?.ports).toEqual(['3000:3000']);
    expect(services.dashboard?.ports).toEqual(['3001:3001']);
    expect(services.worker?.ports).toBeUndefined();
  });

  it('gives workers more time to stop than their drain timeout', () => {
    expect(services.worker?.stop_grace_period).toBe('35s');
  });

  it('builds every app from one multi-stage Dockerfile', () => {
    const dockerfile = read('Dockerfile');
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(3);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n\s+CMD \["node", "scripts\/healthcheck.mjs"\]$/m);
    for (const app of ['api', 'worker', 'dashboard']) {
      expect(dockerfile).toContain(`COPY apps/${app}/package.json apps/${app}/`);
    }
  });

  it('keeps the Redis rules in redis.conf', () => {
    const conf = read('redis.conf');
    expect(conf).toMatch(/^maxmemory-policy noeviction$/m);
    expect(conf).toMatch(/^appendonly yes$/m);
    expect(conf).toMatch(/^appendfsync everysec$/m);
    expect(conf).toMatch(/^save \d+/m);
    expect(conf).toMatch(/^maxmemory \d+/m);
  });

  it('lists the secrets compose needs in .env.example', () => {
    const example = read('.env.example');
    for (const variable of [
      'REDIS_PASSWORD',
      'API_TOKENS',
      'DASHBOARD_PASSWORD',
      'SLACK_SIGNING_SECRET',
    ]) {
      expect(example).toMatch(new RegExp(`^#?\\s*${variable}=`, 'm'));
    }
  });
});
