import { describe, expect, it } from 'vitest';
import type { RedisHealthReport, RedisNodeHealth } from './check-redis.js';
import { probeProblems } from './probe-problems.js';

const node = (overrides: Partial<RedisNodeHealth> = {}): RedisNodeHealth => ({
  address: '10.1.2.3:6380',
  latencyMs: 1,
  version: '7.2.4',
  maxmemoryPolicy: 'noeviction',
  usedMemoryBytes: 1,
  maxmemoryBytes: 0,
  aofEnabled: true,
  connectedReplicas: 0,
  ...overrides,
});

const report = (overrides: Partial<RedisHealthReport>): RedisHealthReport => ({
  ready: false,
  reachable: true,
  nodes: [node()],
  problems: [],
  warnings: [],
  ...overrides,
});

describe('probeProblems', () => {
  it('says nothing when Redis is ready', () => {
    expect(probeProblems(report({ ready: true }))).toEqual([]);
  });

  it('names what is wrong, never the address or the version', () => {
    const cases: [RedisHealthReport, string[]][] = [
      [
        report({ reachable: false, nodes: [], problems: ['10.1.2.3:6380: connect ECONNREFUSED'] }),
        ['Redis is unreachable'],
      ],
      [
        report({ reachable: false, nodes: [], problems: ['10.1.2.3:6380: WRONGPASS invalid'] }),
        ['Redis rejected the credentials'],
      ],
      [
        report({
          nodes: [node({ version: '6.0.9', maxmemoryPolicy: 'allkeys-lru' })],
          problems: ['10.1.2.3:6380 runs Redis 6.0.9', '10.1.2.3:6380 evicts keys'],
        }),
        ['Redis is older than 6.2.0', 'Redis maxmemory-policy is not noeviction'],
      ],
      [
        report({
          problems: [
            '0 replica(s) online at 10.1.2.3:6380, 1 required to confirm each enqueue: enqueues fail until enough replicas are back',
          ],
        }),
        ['fewer Redis replicas online than REDIS_MIN_REPLICAS_ACK requires'],
      ],
      [report({ problems: ['10.1.2.3:6380 something new'] }), ['Redis is not safe for jobs']],
    ];
    for (const [given, expected] of cases) {
      const problems = probeProblems(given);
      expect(problems).toEqual(expected);
      expect(problems.join(' ')).not.toMatch(/10\.1\.2\.3|6380|7\.2\.4|6\.0\.9/);
    }
  });
});
