import { describe, expect, it } from 'vitest';
import { describeRedisTarget, maskRedisUrl } from './mask-redis-url.js';

describe('maskRedisUrl', () => {
  it('hides the password and keeps the rest', () => {
    expect(maskRedisUrl('redis://app:hunter2@redis:6379/1')).toBe('redis://app:***@redis:6379/1');
    expect(maskRedisUrl('rediss://:hunter2@redis:6380')).toBe('rediss://:***@redis:6380');
    expect(maskRedisUrl('redis://redis:6379')).toBe('redis://redis:6379');
  });

  it('never returns the password for a URL it cannot parse', () => {
    expect(maskRedisUrl('redis://u:hunter2@bad host')).not.toContain('hunter2');
  });

  it('describes a config without its secrets', () => {
    const text = describeRedisTarget({
      target: { mode: 'standalone', host: 'redis', port: 6379, db: 0 },
      password: 'hunter2',
      prefix: 'conveyor',
      commandTimeoutMs: 1000,
      connectTimeoutMs: 2000,
    });
    expect(text).toBe('redis://:***@redis:6379/0');
  });
});
