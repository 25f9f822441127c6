import { describe, expect, it } from 'vitest';
import { FailureThrottle } from './failure-throttle.js';

function throttleAt(start: number, options: { maxFailures?: number; maxKeys?: number } = {}) {
  const clock = { now: start };
  const throttle = new FailureThrottle({ windowMs: 60_000, ...options, now: () => clock.now });
  return { clock, throttle };
}

describe('FailureThrottle', () => {
  it('blocks a key at its limit until the window that began with its first failure ends', () => {
    const { clock, throttle } = throttleAt(1_000_000, { maxFailures: 3 });
    throttle.recordFailure('10.0.0.1');
    clock.now += 10_000;
    throttle.recordFailure('10.0.0.1');
    expect(throttle.blockedForMs('10.0.0.1')).toBe(0);
    throttle.recordFailure('10.0.0.1');
    expect(throttle.blockedForMs('10.0.0.1')).toBe(50_000);
    clock.now += 49_999;
    expect(throttle.blockedForMs('10.0.0.1')).toBe(1);
    clock.now += 1;
    expect(throttle.blockedForMs('10.0.0.1')).toBe(0);
    // A new window starts from zero.
    throttle.recordFailure('10.0.0.1');
    expect(throttle.blockedForMs('10.0.0.1')).toBe(0);
  });

  it('counts each key apart', () => {
    const { throttle } = throttleAt(0, { maxFailures: 2 });
    throttle.recordFailure('a');
    throttle.recordFailure('a');
    throttle.recordFailure('b');
    expect(throttle.blockedForMs('a')).toBeGreaterThan(0);
    expect(throttle.blockedForMs('b')).toBe(0);
  });

  it('remembers at most maxKeys keys, forgetting the oldest first', () => {
    const { throttle } = throttleAt(0, { maxFailures: 1, maxKeys: 2 });
    for (const key of ['a', 'b', 'c']) throttle.recordFailure(key);
    expect(throttle.blockedForMs('a')).toBe(0);
    expect(throttle.blockedForMs('b')).toBeGreaterThan(0);
    expect(throttle.blockedForMs('c')).toBeGreaterThan(0);
  });

  it('forgets the oldest keys past its default bound of 10,000 rather than grow', () => {
    const { clock, throttle } = throttleAt(0, { maxFailures: 1 });
    throttle.recordFailure('first');
    expect(throttle.blockedForMs('first')).toBe(60_000);
    for (let i = 0; i < 10_000; i++) throttle.recordFailure(`10.0.${i >> 8}.${i & 255}`);
    expect(throttle.blockedForMs('first')).toBe(0);
    expect(throttle.blockedForMs('10.0.39.15')).toBe(60_000);
    clock.now += 60_000;
    expect(throttle.blockedForMs('10.0.39.15')).toBe(0);
  });
});
