import { describe, expect, it } from 'vitest';
import { parseBenchOptions } from '../src/bench-options.js';

describe('parseBenchOptions', () => {
  it('runs everything at full size by default', () => {
    const options = parseBenchOptions([], {}, '/results');
    expect(options.profile).toBe('full');
    expect(options.only).toEqual([
      'http',
      'replica',
      'bulk',
      'worker',
      'latency',
      'memory',
      'subscribers',
      'fairness',
      'tenants',
    ]);
    expect(options.rounds).toBeGreaterThanOrEqual(3);
    expect(options.worker.rounds).toBeGreaterThan(options.rounds);
    expect(options.bulk.jobs).toBe(100_000);
    expect(options.memory.jobs).toBe(1_000_000);
    expect(options.resultsDir).toBe('/results');
  });

  it('takes the profile from a flag or BENCH_PROFILE, and --only keeps the usual order', () => {
    expect(parseBenchOptions(['--quick'], {}, '/r').profile).toBe('quick');
    expect(parseBenchOptions([], { BENCH_PROFILE: 'quick' }, '/r').profile).toBe('quick');
    const smoke = parseBenchOptions(['--', '--smoke', '--only', 'memory,http'], {}, '/r');
    expect(smoke.judge).toBe(false);
    expect(smoke.only).toEqual(['http', 'memory']);
    expect(parseBenchOptions(['--no-write', '--rounds', '5'], {}, '/r')).toMatchObject({
      resultsDir: undefined,
      rounds: 5,
    });
    expect(parseBenchOptions([], {}, '/r').keepLogs).toBe(false);
    expect(parseBenchOptions(['--keep-logs'], {}, '/r').keepLogs).toBe(true);
  });

  it('sizes the tenant and search figures as issues 14 and 16 ask', () => {
    const full = parseBenchOptions([], {}, '/r');
    expect(full.fairness).toMatchObject({ floodJobs: 50_000, intervalMs: 10 });
    expect(full.tenants.tenants).toBe(1000);
    expect(full.memory).toMatchObject({ jobs: 1_000_000, tenants: 100_000 });
    expect(parseBenchOptions(['--smoke'], {}, '/r').fairness.floodJobs).toBeLessThan(10_000);
    expect(parseBenchOptions(['--rounds', '2'], {}, '/r').fairness.rounds).toBe(2);
    expect(parseBenchOptions(['--rounds', '2'], {}, '/r').worker.rounds).toBe(2);
  });

  it('--skip leaves scenarios out; search is measured in the memory pass', () => {
    const skipped = parseBenchOptions(['--skip', 'memory,subscribers'], {}, '/r').only;
    expect(skipped).not.toContain('memory');
    expect(skipped).not.toContain('subscribers');
    expect(skipped).toContain('fairness');
    expect(parseBenchOptions(['--only', 'search,fairness'], {}, '/r').only).toEqual([
      'memory',
      'fairness',
    ]);
    expect(() => parseBenchOptions(['--only', 'tenants', '--skip', 'tenants'], {}, '/r')).toThrow(
      /no scenario left/,
    );
    expect(() => parseBenchOptions(['--skip', 'disk'], {}, '/r')).toThrow(/unknown scenario disk/);
  });

  it('measures the worker at concurrency 10, 50 and 100 unless --worker-concurrency says', () => {
    expect(parseBenchOptions([], {}, '/r').worker.concurrencies).toEqual([10, 50, 100]);
    expect(parseBenchOptions(['--quick'], {}, '/r').worker.concurrencies).toEqual([10, 50, 100]);
    const chosen = parseBenchOptions(['--smoke', '--worker-concurrency', '5,200'], {}, '/r');
    expect(chosen.worker).toMatchObject({ concurrencies: [5, 200], jobs: 300 });
    expect(chosen.worker.ingestionJobs).toBeGreaterThan(0);
    for (const bad of ['0', '10,x', '1.5', '', '2000']) {
      expect(() => parseBenchOptions(['--worker-concurrency', bad], {}, '/r')).toThrow(
        /--worker-concurrency takes whole numbers/,
      );
    }
  });

  it('rejects unknown flags and scenarios', () => {
    expect(() => parseBenchOptions(['--only', 'disk'], {}, '/r')).toThrow(/unknown scenario disk/);
    expect(() => parseBenchOptions(['--rounds', '0'], {}, '/r')).toThrow(/--rounds/);
    expect(() => parseBenchOptions(['--rounds'], {}, '/r')).toThrow(/needs a value/);
  });
});
