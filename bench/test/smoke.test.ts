import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchResults } from '../src/report/write-results.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

function run(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

describe('pnpm bench, smoke mode', () => {
  let resultsDir: string | undefined;
  afterAll(async () => {
    if (resultsDir) await rm(resultsDir, { recursive: true, force: true });
  });

  it('measures every figure side by side and writes the results', async () => {
    resultsDir = await mkdtemp(join(tmpdir(), 'conveyor-bench-results-'));
    const { code, output } = await run(['--smoke', '--results-dir', resultsDir]);
    expect(code, output).toBe(0);
    expect(output).toMatch(/figure\s+Conveyor\s+baseline\s+ratio\s+target\s+pass/);

    const results = JSON.parse(
      await readFile(join(resultsDir, 'latest.json'), 'utf8'),
    ) as BenchResults;
    expect(results.profile).toBe('smoke');
    expect(results.figures.map((figure) => figure.id)).toEqual([
      'http-enqueue',
      'replica-ack-rps',
      'replica-ack-p50',
      'replica-ack-p99',
      'bulk-enqueue',
      'worker-throughput-c10',
      'worker-job-format-c10',
      'worker-ingestion-c10',
      'worker-throughput-c50',
      'worker-job-format-c50',
      'worker-ingestion-c50',
      'latency-p50',
      'latency-p99',
      'latency-p99-after-rewrite',
      'latency-aof-bytes',
      'redis-used-memory',
      'worker-rss',
      'redis-dedupe-markers',
      'search-p99',
      'subscribers-enqueue',
      'subscribers-rss',
      'fairness-p99',
      'fairness-p99-groupmq',
      'tenant-worker-throughput',
      'tenant-worker-groupmq',
      'tenant-worker-raw',
      'tenant-bulk-enqueue',
    ]);
    for (const figure of results.figures) {
      expect(Number.isFinite(figure.conveyor), figure.id).toBe(true);
      if (figure.baseline !== null) expect(figure.baseline, figure.id).toBeGreaterThan(0);
    }
    const target = (id: string) => results.figures.find((figure) => figure.id === id)?.target;
    expect(target('latency-p99')).toBe('<= 1.1x');
    // The judged latency rounds run with Redis not forking; the rounds after a rewrite are apart.
    const latencyNote = results.figures.find((f) => f.id === 'latency-p99')?.notes ?? '';
    expect(latencyNote).toContain('forks counted during them: 0)');
    expect(target('latency-p99-after-rewrite')).toBe('report');
    const aofBytes = results.figures.find((f) => f.id === 'latency-aof-bytes');
    expect(aofBytes?.conveyor).toBeGreaterThan(0);
    expect(target('fairness-p99')).toBe('<= 0.02x');
    expect(target('tenant-worker-throughput')).toBe('>= 0.9x');
    expect(target('search-p99')).toBe('<= 5 ms');
    expect(output).toMatch(
      /Worker throughput, ignored Slack event, concurrency 50 \(jobs\/s\).*x\s+>= 0\.9x/,
    );
    // Every side's drains are priced in Redis CPU too: on two cores Redis bounds them.
    const workerNote = results.figures.find((f) => f.id === 'worker-throughput-c50')?.notes ?? '';
    const redisCpu =
      /Redis CPU per event, µs \(INFO cpu, all threads\): during Conveyor's drains ([\d./]+), the raw worker's on stored jobs ([\d./]+), on plain jobs ([\d./]+)\./.exec(
        workerNote,
      );
    expect(redisCpu, workerNote).not.toBeNull();
    for (const side of redisCpu?.slice(1) ?? []) {
      for (const perEvent of side.split('/')) expect(Number(perEvent)).toBeGreaterThan(0);
    }
    // The judged worker row and the job-format row share the raw worker on stored jobs.
    const figure = (id: string) => results.figures.find((f) => f.id === id);
    expect(figure('worker-throughput-c50')?.baseline).toBe(
      figure('worker-job-format-c50')?.conveyor,
    );
    expect(target('worker-job-format-c50')).toBe('report');
    expect(results.machine.cores).toBeGreaterThan(0);
    const markdown = await readFile(join(resultsDir, 'latest.md'), 'utf8');
    expect(markdown).toContain('| figure | Conveyor | baseline | ratio | target | pass |');
    expect(markdown).toContain(`Redis ${results.machine.redis}`);
    // Every scenario at a tiny size, with its processes: about two and a half minutes on a busy
    // 2-core machine.
  }, 480_000);

  it('rejects an unknown flag with the usage', async () => {
    const { code, output } = await run(['--fast']);
    expect(code).toBe(1);
    expect(output).toContain('unknown argument --fast');
    expect(output).toContain('Usage:');
  });
});
