import { describe, expect, it } from 'vitest';
import { findPromtool, promtoolCheckMetrics } from './promtool-check-metrics.js';

describe('findPromtool', () => {
  it('is undefined where no folder holds promtool', () => {
    expect(findPromtool(['/nonexistent-conveyor-dir'])).toBeUndefined();
  });
});

describe('promtoolCheckMetrics', () => {
  it('passes a clean exposition and reports a gauge named like a counter', async () => {
    const clean = '# HELP jobs Jobs.\n# TYPE jobs gauge\njobs 1\n';
    expect(await promtoolCheckMetrics(clean)).toEqual({ code: 0, output: '' });
    const linted = await promtoolCheckMetrics(
      '# HELP jobs_total Jobs.\n# TYPE jobs_total gauge\njobs_total 1\n',
    );
    expect(linted.code).not.toBe(0);
    expect(linted.output).toContain('jobs_total');
  });
});
