import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { getFreePort, isProcessAlive, RedisServer, waitFor, waitForHttp } from '@conveyor/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { API_GC_FLAGS } from '../src/cluster/gc-flags.js';
import { ingestData } from './support/payloads.js';
import { type SpawnedApi, spawnApi } from './support/spawn-api.js';

const TOKEN = 'processes-test-token-0123456789';

/** POSTs one job on a connection of its own, so the kernel may hand it to any process. */
function enqueueOnNewConnection(url: string, documentId: string): Promise<number> {
  const body = JSON.stringify({ data: ingestData(documentId) });
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/v1/queues/ingestion/jobs`, {
      method: 'POST',
      agent: false,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        'content-type': 'application/json',
        connection: 'close',
      },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.end(body);
  });
}

/** The pids of the processes that logged `api listening`, in order. */
function listeningPids(api: SpawnedApi): number[] {
  return api.child
    .output()
    .split('\n')
    .filter((line) => line.includes('"msg":"api listening"'))
    .map((line) => Number((JSON.parse(line) as { pid: number }).pid));
}

describe('API_PROCESSES=2', () => {
  let redis: RedisServer;
  let api: SpawnedApi | undefined;
  const env = (extra: Record<string, string> = {}) => ({
    REDIS_URL: redis.url,
    QUEUE_PREFIX: `p${randomUUID().slice(0, 8)}`,
    API_TOKENS: `procs:${TOKEN}`,
    API_PROCESSES: '2',
    ...extra,
  });

  beforeAll(async () => {
    redis = await RedisServer.start({ appendonly: false });
  });
  afterEach(async () => {
    await api?.child.stop(5000);
    api = undefined;
  });
  afterAll(() => redis.stop());

  it('serves one port from two processes, sums their metrics, replaces one that dies, and stops them all on SIGTERM', async () => {
    api = await spawnApi(env(), { waitUntilListening: false });
    const started = api;
    await waitFor(() => listeningPids(started).length === 2, {
      timeoutMs: 15_000,
      description: 'two API processes listening',
    });
    await waitForHttp(`${api.url}/readyz`, { timeoutMs: 10_000 });
    const [first, second] = listeningPids(api) as [number, number];
    expect(first).not.toBe(second);
    expect(first).not.toBe(api.child.pid);
    // Forked with the GC flags: fewer and shorter scavenges in requests.
    for (const pid of [first, second]) {
      expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toEqual(
        expect.arrayContaining([...API_GC_FLAGS]),
      );
    }

    const jobs = 30;
    for (let index = 0; index < jobs; index++) {
      expect(await enqueueOnNewConnection(api.url, `doc-${index}`)).toBe(202);
    }
    // Each process writes its request lines in batches: wait for both to have flushed them.
    const served = () =>
      new Set(
        started.child
          .output()
          .split('\n')
          .filter((line) => line.includes('/v1/queues/ingestion/jobs'))
          .map((line) => (JSON.parse(line) as { pid: number }).pid),
      );
    await waitFor(() => served().size === 2, {
      timeoutMs: 5000,
      description: 'request lines from both processes',
    });
    expect(served()).toEqual(new Set([first, second]));
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(`conveyor_jobs_enqueued_total\\{queue="ingestion",app="api"\\} ${jobs}\\n`),
    );
    // Every process reads the same Redis: the fleet gauges are kept once, never summed.
    for (const series of [
      /conveyor_queue_jobs\{queue="ingestion",state="waiting",app="api"\} 30\n/,
      /conveyor_queue_backlog\{queue="ingestion",app="api"\} 30\n/,
      /conveyor_dead_letter_jobs\{queue="ingestion",app="api"\} 0\n/,
    ]) {
      expect(metrics).toMatch(series);
    }

    process.kill(first, 'SIGKILL');
    await waitFor(() => listeningPids(started).length === 3, {
      timeoutMs: 15_000,
      description: 'a replacement API process listening',
    });
    expect(api.child.output()).toContain('an API process died; replacing it');
    expect(await enqueueOnNewConnection(api.url, 'after-the-kill')).toBe(202);

    const pids = listeningPids(api).slice(1);
    api.child.kill('SIGTERM');
    expect(await api.child.exited).toEqual({ code: 0, signal: null });
    expect(api.child.output()).toContain('all API processes stopped');
    for (const pid of pids) expect(isProcessAlive(pid)).toBe(false);
  });

  it('takes connections only once Redis is ready, so no process answers its first requests 503', async () => {
    const port = await getFreePort();
    api = await spawnApi(env({ REDIS_URL: `redis://127.0.0.1:${port}` }), {
      waitUntilListening: false,
    });
    const started = api;
    await started.child.waitForOutput('Redis is not reachable yet', 10_000);
    await expect(fetch(`${api.url}/healthz`)).rejects.toThrow();
    const late = await RedisServer.start({ appendonly: false, port });
    try {
      await waitFor(() => listeningPids(started).length === 2, {
        timeoutMs: 15_000,
        description: 'two API processes listening once Redis is up',
      });
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, index) =>
          enqueueOnNewConnection(started.url, `late-${index}`),
        ),
      );
      expect(answers).toEqual(answers.map(() => 202));
      expect(api.child.output()).not.toContain('listening anyway');
    } finally {
      await api.child.stop(5000);
      api = undefined;
      await late.stop();
    }
  });

  it('once started, replaces a process that dies before it listens instead of stopping the API', async () => {
    const own = await RedisServer.start({ appendonly: false });
    try {
      api = await spawnApi(env({ REDIS_URL: own.url }), { waitUntilListening: false });
      const started = api;
      await waitFor(() => listeningPids(started).length === 2, {
        timeoutMs: 15_000,
        description: 'two API processes listening',
      });
      await own.kill();
      const [first, second] = listeningPids(started) as [number, number];
      process.kill(first, 'SIGKILL');
      // The replacement waits for Redis before it listens; kill it while it waits.
      const known = new Set([first, second, started.child.pid]);
      const connecting = () =>
        started.child
          .output()
          .split('\n')
          .filter((line) => line.includes('"msg":"connecting to Redis"'))
          .map((line) => Number((JSON.parse(line) as { pid: number }).pid))
          .filter((pid) => !known.has(pid));
      await waitFor(() => connecting().length === 1, {
        timeoutMs: 15_000,
        description: 'a replacement process connecting to Redis',
      });
      expect(listeningPids(started)).toHaveLength(2);
      process.kill(connecting()[0] as number, 'SIGKILL');
      await waitFor(() => started.child.output().split('replacing it').length - 1 === 2, {
        timeoutMs: 15_000,
        description: 'the replacement replaced in turn',
      });
      expect(started.child.running).toBe(true);
      expect(started.child.output()).not.toContain('cannot run');

      await own.restart();
      await waitFor(() => listeningPids(started).length === 3, {
        timeoutMs: 20_000,
        description: 'a third process listening once Redis is back',
      });
      // The surviving process reconnects on its own backoff and answers 503 until then, as a
      // client following Retry-After would find; bounded, the API stores jobs again.
      await waitFor(
        async () => (await enqueueOnNewConnection(started.url, 'after-replacements')) === 202,
        { timeoutMs: 15_000, description: 'an enqueue answered 202 after the replacements' },
      );
    } finally {
      await api?.child.stop(5000);
      api = undefined;
      await own.stop();
    }
  });

  it('exits 1 instead of restarting forever when Redis refuses the credentials', async () => {
    api = await spawnApi(
      env({ REDIS_URL: `redis://conveyor:wrong-password@127.0.0.1:${redis.port}` }),
      {
        waitUntilListening: false,
      },
    );
    const exit = await api.child.exited;
    expect(exit.code).toBe(1);
    const output = api.child.output();
    expect(output).toContain('an API process cannot run; stopping');
    expect(output).not.toContain('replacing it');
    expect(output).not.toContain('wrong-password');
  });
});
