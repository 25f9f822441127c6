import { describe, expect, it } from 'vitest';
import { isVersionAtLeast, parseInfo } from './parse-info.js';

describe('parseInfo', () => {
  it('reads fields across sections and ignores headers', () => {
    const info = parseInfo(
      '# Server\r\nredis_version:7.2.4\r\n\r\n# Memory\r\nmaxmemory_policy:noeviction\r\nused_memory:1024\r\n',
    );
    expect(info.get('redis_version')).toBe('7.2.4');
    expect(info.get('maxmemory_policy')).toBe('noeviction');
    expect(info.get('# Server')).toBeUndefined();
  });
});

describe('isVersionAtLeast (Redis 6.2 minimum)', () => {
  it('compares numerically, part by part', () => {
    expect(isVersionAtLeast('6.2.0', '6.2.0')).toBe(true);
    expect(isVersionAtLeast('7.0.15', '6.2.0')).toBe(true);
    expect(isVersionAtLeast('6.10.0', '6.2.0')).toBe(true);
    expect(isVersionAtLeast('6.0.16', '6.2.0')).toBe(false);
    expect(isVersionAtLeast('5.0.14', '6.2.0')).toBe(false);
    expect(isVersionAtLeast('6.2', '6.2.0')).toBe(true);
  });
});
