import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  getFreePort,
  openRawConnection,
  RedisServer,
  spawnProcess,
  waitFor,
  waitForHttp,
} from '@conveyor/testing';
import { Queue, Worker } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ingestData } from './support/payloads.js';
import { MAIN, type SpawnedApi, spawnApi } from './support/spawn-api.js';

const TOKEN = 'main-test-token-0123456789';
const SLACK_SECRET = 'main-test-slack-secret-0123456789';
const REDIS_PASSWORD = 'main-test-redis-password-0123';

/** Starts a POST whose body is only half sent; `finish()` sends the rest and reads the answer. */
function halfSentRequest(url: string, body: string) {
  const req = httpRequest(`${url}/v1/queues/ingestion/jobs`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${TOKEN}`,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    },
  });
  const response = new Promise<{ status: number; body: string; connection?: string }>(
    (resolve, reject) => {
      req.on('error', reject);
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: text, connection: res.headers.connection }),
        );
      });
    },
  );
  req.write(body.slice(0, 10));
  return { response, finish: () => req.end(body.slice(10)) };
}

/** A GET on a connection of its own (as separate clients hold them), read to its end. */
function heldGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: false, headers: { authorization: `Bearer ${TOKEN}` } });
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.end();
  });
}

describe('node dist/main.js', () => {
  let redis: RedisServer;
  let api: SpawnedApi | undefined;
  const prefix = `m${randomUUID().slice(0, 8)}`;
  const env = () => ({
    REDIS_URL: redis.url,
    QUEUE_PREFIX: prefix,
    API_TOKENS: `main:${TOKEN}`,
    SLACK_SIGNING_SECRET: SLACK_SECRET,
    SHUTDOWN_TIMEOUT_MS: '20000',
  });

  beforeAll(async () => {
    redis = await RedisServer.start({ appendonly: false, password: REDIS_PASSWORD });
  });
  afterEach(async () => {
    await api?.child.stop(5000);
    api = undefined;
  });
  afterAll(() => redis.stop());

  it('refuses an invalid environment with one readable message, exit code 1 and no stack', async () => {
    const child = spawnProcess('node', [MAIN], {
      name: 'api',
      env: {
        PATH: process.env.PATH ?? '',
        API_TOKENS: 'ci:tiny-secret-x',
        PORT: 'eighty',
        REDIS_PORT: 'abc',
      },
    });
    const exit = await child.exited;
    expect(exit.code).toBe(1);
    const output = child.output();
    expect(output).toContain('Invalid configuration');
    expect(output).toMatch(/API_TOKENS: entry 1 \(ci\): the secret has 13 characters/);
    expect(output).toContain('PORT: must be a whole number');
    expect(output).toContain('REDIS_PORT');
    expect(output).not.toMatch(/\n\s+at /);
    expect(output).not.toContain('tiny-secret-x');

    const missing = spawnProcess('node', [MAIN], {
      name: 'api',
      env: { PATH: process.env.PATH ?? '' },
    });
    expect((await missing.exited).code).toBe(1);
    expect(missing.output()).toContain('API_TOKENS: is required');
  });

  it('caps its connections at API_MAX_CONNECTIONS and closes idle ones after API_KEEP_ALIVE_TIMEOUT_MS', async () => {
    api = await spawnApi({
      ...env(),
      API_MAX_CONNECTIONS: '2',
      // Each wait and stream the process allows holds a connection: none here.
      MAX_WAITERS: '0',
      MAX_EVENT_STREAMS: '0',
      API_KEEP_ALIVE_TIMEOUT_MS: '1000',
    });
    const { port, url } = api;
    await waitForHttp(`${url}/readyz`, { timeoutMs: 10_000 });
    const kept = await openRawConnection(port);
    kept.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    const second = await openRawConnection(port);
    const third = await openRawConnection(port);
    expect(await third.closedWithin(5000)).toBe('');
    // The first answered and then idled: closed by the keep-alive timeout, not held.
    expect(await kept.closedWithin(10_000)).toContain('200 OK');
    second.socket.destroy();
  });

  it('holds MAX_WAITERS waits and MAX_EVENT_STREAMS streams, each on its own connection, and answers every one', async () => {
    // Past the 1024 connections a process once accepted by default, whatever MAX_WAITERS said;
    // and past the 1000 completed jobs ingestion keeps, so retention removes some of them as
    // they complete, before their waits read them again.
    const waits = 1500;
    const streams = 100;
    api = await spawnApi({
      ...env(),
      MAX_WAITERS: String(waits),
      MAX_EVENT_STREAMS: String(streams),
    });
    const { url } = api;
    await waitForHttp(`${url}/readyz`, { timeoutMs: 10_000 });
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const ids: string[] = [];
    for (let first = 0; first < waits; first += 500) {
      const created = await fetch(`${url}/v1/queues/ingestion/jobs/bulk`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          jobs: Array.from({ length: 500 }, (_, i) => ({ data: ingestData(`held-${first + i}`) })),
        }),
      });
      expect(created.status).toBe(202);
      ids.push(...((await created.json()) as { jobs: { id: string }[] }).jobs.map((job) => job.id));
    }
    const held: Promise<{ status: number; body: string }>[] = [];
    for (const [index, id] of ids.entries()) {
      held.push(heldGet(`${url}/v1/queues/ingestion/jobs/${id}?waitMs=60000`));
      if (index < streams) held.push(heldGet(`${url}/v1/queues/ingestion/jobs/${id}/events`));
      // Spread out, as clients arrive: the listen backlog is not what is tested.
      if (index % 100 === 99) await sleep(20);
    }
    const subscribers = (text: string, kind: string) =>
      Number(
        new RegExp(`^conveyor_api_event_subscribers\\{kind="${kind}"[^}]*\\} (\\d+)`, 'm').exec(
          text,
        )?.[1],
      );
    await waitFor(
      async () => {
        const text = await (await fetch(`${url}/metrics`)).text();
        return subscribers(text, 'wait') === waits && subscribers(text, 'stream') === streams;
      },
      { timeoutMs: 60_000, intervalMs: 200, description: 'every wait and stream held' },
    );
    // Holding them all, it still takes new connections.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    const connection = redis.client({ maxRetriesPerRequest: null });
    const worker = new Worker('ingestion', async () => 'done', {
      connection,
      prefix,
      concurrency: 50,
    });
    try {
      const answers = await Promise.all(held);
      const waited = answers.filter((answer) => answer.body.startsWith('{'));
      const streamed = answers.filter((answer) => !answer.body.startsWith('{'));
      expect(waited).toHaveLength(waits);
      expect(streamed).toHaveLength(streams);
      for (const answer of waited) {
        expect(answer.status, answer.body).toBe(200);
        expect(JSON.parse(answer.body)).toMatchObject({ state: 'completed' });
      }
      for (const answer of streamed) {
        expect(answer.status, answer.body).toBe(200);
        expect(answer.body).toContain('event: completed');
      }
    } finally {
      await worker.close();
      connection.disconnect();
    }
  }, 120_000);

  it('serves jobs, and on SIGTERM refuses new connections, finishes the request in flight and exits 0', async () => {
    api = await spawnApi(env());
    const { child, url } = api;
    await waitForHttp(`${url}/readyz`, { timeoutMs: 10_000 });
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const created = await fetch(`${url}/v1/queues/ingestion/jobs`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ data: ingestData('main-1') }),
    });
    expect(created.status).toBe(202);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    // Scraped, it holds the exporter lease of the Redis-wide gauges; it gives it up on SIGTERM.
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
    const leaseKey = `${prefix}:metrics:exporter`;
    const assertions = redis.client();
    expect(await assertions.get(leaseKey)).toMatch(new RegExp(`:${child.pid}:[0-9a-f]{8}$`));

    const inFlight = halfSentRequest(url, JSON.stringify({ data: ingestData('in-flight') }));
    // Another request answered proves the server has read the first one's headers.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    child.kill('SIGTERM');
    await child.waitForOutput('shutting down', 5000);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();

    inFlight.finish();
    const answer = await inFlight.response;
    expect(answer.status).toBe(202);
    expect(answer.connection).toBe('close');
    const exit = await child.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(child.output()).toContain('"msg":"stopped"');
    expect(await assertions.exists(leaseKey)).toBe(0);
    assertions.disconnect();

    const queue = new Queue('ingestion', { connection: redis.client(), prefix });
    try {
      const job = await queue.getJob((JSON.parse(answer.body) as { id: string }).id);
      expect(job?.data.documentId).toBe('in-flight');
    } finally {
      await queue.close();
    }

    const output = child.output();
    expect(output).toContain('"client":"main"');
    for (const secret of [TOKEN, SLACK_SECRET, REDIS_PASSWORD]) {
      expect(output).not.toContain(secret);
    }
  });

  it('holds one connection set for the whole process, never one per request (docs/architecture.md#redis-rules, rule 6)', async () => {
    api = await spawnApi(env());
    const { url } = api;
    await waitForHttp(`${url}/readyz`, { timeoutMs: 10_000 });
    const client = redis.client();
    const apiConnections = async () =>
      String(await client.client('LIST'))
        .split('\n')
        .filter((line) => / name=conveyor:api:/.test(line)).length;
    try {
      const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
      const enqueue = (n: number) =>
        fetch(`${url}/v1/queues/ingestion/jobs`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ data: ingestData(`rule-6-${n}`) }),
        });
      expect((await enqueue(0)).status).toBe(202);
      const before = await apiConnections();
      expect(before).toBeGreaterThanOrEqual(2);
      const statuses = await Promise.all(Array.from({ length: 200 }, (_, n) => enqueue(n + 1)));
      expect(statuses.every((response) => response.status === 202)).toBe(true);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      expect(await apiConnections()).toBe(before);
    } finally {
      client.disconnect();
    }
  });

  it('on SIGTERM ends waiting requests and event streams instead of holding the drain', async () => {
    api = await spawnApi(env());
    const { child, url } = api;
    await waitForHttp(`${url}/readyz`, { timeoutMs: 10_000 });
    const headers = { authorization: `Bearer ${TOKEN}` };
    const created = await fetch(`${url}/v1/queues/ingestion/jobs`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ data: ingestData('waited-on') }),
    });
    const { id } = (await created.json()) as { id: string };
    const stream = await fetch(`${url}/v1/queues/ingestion/events`, { headers });
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const streamText = stream.text();
    const waiting = fetch(`${url}/v1/queues/ingestion/jobs/${id}?waitMs=60000`, { headers });
    // A request answered after the wait began proves the server holds it.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    child.kill('SIGTERM');
    const answer = await waiting;
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ id, state: 'waiting' });
    await streamText;
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.output()).not.toContain('outlived SHUTDOWN_TIMEOUT_MS');
  });

  it('exits at once on a second signal, with 128 + its number', async () => {
    api = await spawnApi(env());
    const { child, url } = api;
    const inFlight = halfSentRequest(url, JSON.stringify({ data: ingestData('never-finished') }));
    inFlight.response.catch(() => {});
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    child.kill('SIGTERM');
    await child.waitForOutput('shutting down', 5000);
    const started = Date.now();
    child.kill('SIGTERM');
    const exit = await child.exited;
    expect(exit.code).toBe(143);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(child.output()).toContain('second signal');
  });

  it('starts without Redis, answers 503 meanwhile, and becomes ready when Redis appears', async () => {
    const port = await getFreePort();
    api = await spawnApi({ ...env(), REDIS_URL: `redis://127.0.0.1:${port}` });
    const { url } = api;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
    const refused = await fetch(`${url}/v1/queues/ingestion/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ data: ingestData('early') }),
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');

    const late = await RedisServer.start({ port, appendonly: false });
    try {
      await waitForHttp(`${url}/readyz`, { status: 200, timeoutMs: 15_000 });
      const stored = await fetch(`${url}/v1/queues/ingestion/jobs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ data: ingestData('late') }),
      });
      expect(stored.status).toBe(202);
    } finally {
      await api.child.stop(5000);
      api = undefined;
      await late.stop();
    }
  });

  it('waits for REDIS_MIN_REPLICAS_ACK replicas: without one, 503 REPLICA_ACK_TIMEOUT and not ready', async () => {
    api = await spawnApi({ ...env(), REDIS_MIN_REPLICAS_ACK: '1' });
    const { url } = api;
    const enqueue = () =>
      fetch(`${url}/v1/queues/ingestion/jobs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ data: ingestData('unreplicated') }),
      });
    // Until its connections are up the API answers 503 REDIS_UNAVAILABLE; then the replica wait.
    const answer = await waitFor(
      async () => {
        const response = await enqueue();
        const body = (await response.json()) as { error?: { code: string } };
        return body.error?.code === 'REDIS_UNAVAILABLE' ? undefined : { response, body };
      },
      { description: 'the API to reach Redis' },
    );
    expect(answer.response.status).toBe(503);
    expect(answer.response.headers.get('retry-after')).toBe('1');
    expect(answer.body.error?.code).toBe('REPLICA_ACK_TIMEOUT');
    const problems = await waitFor(
      async () => {
        const ready = await fetch(`${url}/readyz`);
        const body = (await ready.json()) as { problems: string[] };
        // Before its admin connection is up it reports Redis unreachable instead.
        const reported = body.problems.some((problem) => problem.includes('replicas online'));
        return ready.status === 503 && reported ? body.problems : undefined;
      },
      { description: '/readyz to report the missing replica' },
    );
    // The probe is open: it names the problem, never where Redis is.
    expect(problems).toEqual(['fewer Redis replicas online than REDIS_MIN_REPLICAS_ACK requires']);
  });
});
