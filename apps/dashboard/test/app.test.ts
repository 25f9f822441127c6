import { request } from 'node:http';
import { deadLetterQueueName, QUEUE_CATALOG, QUEUE_NAMES } from '@conveyor/queues';
import {
  getFreePort,
  promtoolCheckMetrics,
  RedisServer,
  waitFor,
  waitForHttp,
} from '@conveyor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addFailedJob } from './support/add-failed-job.js';
import type { FlakyWorker } from './support/start-flaky-worker.js';
import {
  startTestDashboard,
  TEST_CREDENTIALS,
  type TestDashboard,
} from './support/start-test-dashboard.js';
import { waitForJobState } from './support/wait-for-job-state.js';

const basic = (username: string, password: string) =>
  `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
const AUTH = { authorization: basic(TEST_CREDENTIALS.username, TEST_CREDENTIALS.password) };

/** Status of a GET sent from another loopback address, as another client would. */
function statusFrom(localAddress: string, url: string, headers: Record<string, string>) {
  return new Promise<number>((resolve, reject) => {
    const req = request(url, { localAddress, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

interface BoardQueueJson {
  name: string;
  displayName?: string;
  description?: string;
  readOnlyMode: boolean;
  allowRetries: boolean;
}

/** The queues of both boards: the catalog queues', then the dead-letter queues'. */
async function listQueues(dashboard: TestDashboard): Promise<BoardQueueJson[]> {
  const boards = [dashboard.boardUrl, dashboard.deadLetterBoardUrl];
  const lists = await Promise.all(
    boards.map(async (board) => {
      const response = await fetch(`${board}api/queues`, { headers: AUTH });
      expect(response.status).toBe(200);
      return ((await response.json()) as { queues: BoardQueueJson[] }).queues;
    }),
  );
  return lists.flat();
}

describe('dashboard app', () => {
  let dashboard: TestDashboard;
  const workers: FlakyWorker[] = [];

  beforeAll(async () => {
    dashboard = await startTestDashboard();
  });
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.close()));
    await dashboard?.close();
  });

  it('answers /healthz and /readyz without credentials', async () => {
    const health = await fetch(`${dashboard.origin}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    // Ready once the connection is up: a probe that polls sees it turn 200.
    const ready = await waitForHttp(`${dashboard.origin}/readyz`, { status: 200 });
    // Only the status: where Redis is and which version it runs are nobody else's business.
    expect(await ready.json()).toEqual({ status: 'ready', problems: [] });
  });

  it('serves its process metrics on /metrics without credentials, and no queue figures', async () => {
    const response = await fetch(`${dashboard.origin}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toMatch(/^process_cpu_user_seconds_total\{app="dashboard"\} /m);
    expect(text).not.toContain('conveyor_');
    expect(await promtoolCheckMetrics(text)).toEqual({ code: 0, output: '' });
  });

  it('asks for credentials with a Basic challenge', async () => {
    for (const path of ['', 'api/queues', 'queue/ingestion']) {
      const response = await fetch(`${dashboard.boardUrl}${path}`);
      expect(response.status, path).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm="[^"]+"/);
    }
  });

  it('rejects a wrong password, a wrong user name and a malformed header', async () => {
    for (const authorization of [
      basic(TEST_CREDENTIALS.username, `${TEST_CREDENTIALS.password}x`),
      basic('someone-else', TEST_CREDENTIALS.password),
      basic(TEST_CREDENTIALS.username, ''),
      `Bearer ${TEST_CREDENTIALS.password}`,
      'Basic !!!',
    ]) {
      const response = await fetch(dashboard.boardUrl, { headers: { authorization } });
      expect(response.status, authorization).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic /);
    }
  });

  it('serves Bull Board titled Conveyor with the right credentials, behind security headers', async () => {
    const response = await fetch(dashboard.boardUrl, { headers: AUTH });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('<title>Conveyor</title>');
    expect(html).toContain('"boardTitle":"Conveyor"');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(response.headers.get('x-powered-by')).toBeNull();
  });

  it('lists the catalog queues on the board, their dead-letter queues on a board of their own', async () => {
    const queues = await listQueues(dashboard);
    const expected = [...QUEUE_NAMES, ...QUEUE_NAMES.map((name) => `${name}-dead-letters`)];
    expect(queues.map((queue) => queue.name)).toEqual(expected);
    for (const name of QUEUE_NAMES) {
      const queue = queues.find((entry) => entry.name === name);
      expect(queue?.description).toBe(QUEUE_CATALOG[name].description);
      expect(queue).toMatchObject({ readOnlyMode: false, allowRetries: true });
      const deadLetters = queues.find((entry) => entry.name === `${name}-dead-letters`);
      expect(deadLetters?.displayName).toBe(`Dead letters · ${name}`);
      expect(deadLetters?.description).toContain(`Dead letters of ${name}`);
      // Replayed from the console, with the catalog's job options; never retried in place.
      expect(deadLetters).toMatchObject({ readOnlyMode: false, allowRetries: false });
    }
  });

  it('reports no worker state for a dead-letter queue, so the board shows no "No workers"', async () => {
    const workers = async (board: string, queue: string) => {
      const response = await fetch(`${board}api/queues/${queue}/workers`, { headers: AUTH });
      expect(response.status).toBe(200);
      return ((await response.json()) as { workers: unknown[] | null }).workers;
    };
    expect(await workers(dashboard.boardUrl, 'ingestion')).toEqual([]);
    expect(await workers(dashboard.deadLetterBoardUrl, deadLetterQueueName('ingestion'))).toBe(
      null,
    );
  });

  it("serves Bull Board's typefaces itself and links to nothing outside the dashboard", async () => {
    for (const board of [dashboard.boardUrl, dashboard.deadLetterBoardUrl]) {
      const page = await fetch(board, { headers: AUTH });
      const html = await page.text();
      expect(html).not.toMatch(/(?:href|src)="(?:https?:)?\/\//);
      expect(html).toContain('<link href="fonts/ibm-plex-sans/400.css" rel="stylesheet">');
      const css = await fetch(`${board}fonts/ibm-plex-sans/400.css`, { headers: AUTH });
      expect(css.status).toBe(200);
      const font = /url\(\.\/(files\/[^)]+\.woff2)\)/.exec(await css.text())?.[1];
      const file = await fetch(`${board}fonts/ibm-plex-sans/${font}`, { headers: AUTH });
      expect(file.status).toBe(200);
      expect(file.headers.get('content-type')).toBe('font/woff2');
      expect(page.headers.get('content-security-policy')).not.toContain('https:');
    }
  });

  it('retries a failed job through the Bull Board API, and the job completes', async () => {
    const queue = dashboard.queue('ingestion');
    const { jobId, worker } = await addFailedJob(queue, dashboard.redisConfig);
    workers.push(worker);
    const response = await fetch(`${dashboard.boardUrl}api/queues/ingestion/${jobId}/retry`, {
      method: 'PUT',
      headers: AUTH,
    });
    expect(response.status).toBe(204);
    await waitForJobState(queue, jobId, 'completed');
  });

  it('refuses a state-changing request from another site, or one whose body is not JSON', async () => {
    const deadLetters = dashboard.queue(deadLetterQueueName('ingestion'));
    const add = `${dashboard.deadLetterBoardUrl}api/queues/${deadLetters.name}/add`;
    const body = JSON.stringify({ name: 'forged', data: { text: 'from elsewhere' } });
    const json = 'application/json';
    const refused: [Record<string, string>, number][] = [
      // What Chromium sends with a form auto-submitted by another site's page.
      [{ 'sec-fetch-site': 'cross-site', 'content-type': 'text/plain' }, 403],
      [{ 'sec-fetch-site': 'cross-site', 'content-type': json }, 403],
      [{ 'sec-fetch-site': 'same-site', 'content-type': json }, 403],
      // A browser without Sec-Fetch-*: Origin decides.
      [{ origin: 'http://attacker.example', 'content-type': json }, 403],
      [{ origin: 'null', 'content-type': json }, 403],
      [{ 'sec-fetch-site': 'same-origin', 'content-type': 'text/plain' }, 415],
      [{ origin: dashboard.origin, 'content-type': 'application/x-www-form-urlencoded' }, 415],
      [{ 'content-type': 'multipart/form-data; boundary=x' }, 415],
      // A body without any Content-Type.
      [{}, 415],
    ];
    for (const [headers, status] of refused) {
      const response = await fetch(add, {
        method: 'POST',
        headers: { ...AUTH, ...headers },
        body: Buffer.from(body),
      });
      expect(response.status, JSON.stringify(headers)).toBe(status);
    }
    expect(await deadLetters.getJobCountByTypes('waiting', 'delayed', 'prioritized')).toBe(0);
    expect(dashboard.logs()).toContain('cross-site request refused');

    const allowed: Record<string, string>[] = [
      { 'sec-fetch-site': 'same-origin', 'content-type': json },
      { origin: dashboard.origin, 'content-type': 'application/json; charset=utf-8' },
      // Neither header: curl or a script, which cannot borrow an operator's browser login.
      { 'content-type': json },
    ];
    for (const headers of allowed) {
      const response = await fetch(add, { method: 'POST', headers: { ...AUTH, ...headers }, body });
      expect(response.status, JSON.stringify(headers)).toBe(200);
    }
    expect(await deadLetters.getJobCountByTypes('waiting', 'delayed', 'prioritized')).toBe(3);
  });

  it('logs operator actions with the user name but never the credentials or a query', async () => {
    const secret = 'query-secret-never-logged';
    const page = await fetch(`${dashboard.boardUrl}?access_token=${secret}`, { headers: AUTH });
    expect(page.status).toBe(200);
    await fetch(`${dashboard.boardUrl}api/queues?access_token=${secret}`, {
      headers: { authorization: basic('nobody', 'wrong-password') },
    });
    const logs = dashboard.logs();
    expect(logs).toMatch(/"method":"PUT","path":"\/api\/queues\/ingestion\/[^/]+\/retry"/);
    expect(logs).toContain('"method":"GET","path":"/api/queues"');
    expect(logs).not.toContain(secret);
    expect(logs).toContain(`"user":"${TEST_CREDENTIALS.username}"`);
    expect(logs).toContain('dashboard login rejected');
    expect(logs).not.toContain(TEST_CREDENTIALS.password);
    expect(logs).not.toContain(AUTH.authorization.slice('Basic '.length));
  });
});

describe('dashboard app in read-only mode', () => {
  let dashboard: TestDashboard;
  let worker: FlakyWorker | undefined;

  beforeAll(async () => {
    dashboard = await startTestDashboard({ DASHBOARD_READ_ONLY: 'true' });
  });
  afterAll(async () => {
    await worker?.close();
    await dashboard?.close();
  });

  it('reports every queue read-only, which hides the mutating actions in the UI', async () => {
    const queues = await listQueues(dashboard);
    expect(queues).toHaveLength(QUEUE_NAMES.length * 2);
    for (const queue of queues) {
      expect(queue).toMatchObject({ readOnlyMode: true, allowRetries: false });
    }
  });

  it('refuses a retry sent to the API directly', async () => {
    const queue = dashboard.queue('ingestion');
    const failed = await addFailedJob(queue, dashboard.redisConfig);
    worker = failed.worker;
    const response = await fetch(
      `${dashboard.boardUrl}api/queues/ingestion/${failed.jobId}/retry`,
      { method: 'PUT', headers: AUTH },
    );
    expect(response.status).toBe(405);
    expect(await queue.getJobState(failed.jobId)).toBe('failed');
  });
});

describe('dashboard app under a base path', () => {
  let dashboard: TestDashboard;

  beforeAll(async () => {
    dashboard = await startTestDashboard({ DASHBOARD_BASE_PATH: '/ops/queues/' });
  });
  afterAll(async () => {
    await dashboard?.close();
  });

  it('serves the UI and its API under the base path and redirects the root there', async () => {
    expect(dashboard.boardUrl).toBe(`${dashboard.origin}/ops/queues/`);
    const page = await fetch(dashboard.boardUrl, { headers: AUTH });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<base href="/ops/queues/" />');
    expect(await listQueues(dashboard)).toHaveLength(QUEUE_NAMES.length * 2);
    const root = await fetch(`${dashboard.origin}/`, { headers: AUTH, redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/ops/queues/');
    expect((await fetch(`${dashboard.origin}/healthz`)).status).toBe(200);
  });
});

describe('dashboard app with DASHBOARD_AUTH=off', () => {
  let dashboard: TestDashboard;

  beforeAll(async () => {
    dashboard = await startTestDashboard({
      DASHBOARD_AUTH: 'off',
      DASHBOARD_USERNAME: '',
      DASHBOARD_PASSWORD: '',
    });
  });
  afterAll(async () => {
    await dashboard?.close();
  });

  it('serves Bull Board without asking for credentials', async () => {
    const response = await fetch(dashboard.boardUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('www-authenticate')).toBeNull();
  });
});

describe('dashboard app after too many failed logins from one address', () => {
  let dashboard: TestDashboard;

  beforeAll(async () => {
    dashboard = await startTestDashboard(
      {},
      { loginThrottle: { maxFailures: 3, windowMs: 60_000 } },
    );
  });
  afterAll(async () => {
    await dashboard?.close();
  });

  it('answers that address 429 with Retry-After, right password included, and no other', async () => {
    // A browser's first request carries no credentials: it asks for the prompt, not a failure.
    for (let i = 0; i < 5; i++) expect((await fetch(dashboard.boardUrl)).status).toBe(401);
    const wrong = { authorization: basic(TEST_CREDENTIALS.username, 'a-wrong-password-guess') };
    for (let i = 0; i < 3; i++) {
      expect((await fetch(dashboard.boardUrl, { headers: wrong })).status).toBe(401);
    }
    for (const headers of [wrong, AUTH]) {
      const refused = await fetch(dashboard.boardUrl, { headers });
      expect(refused.status).toBe(429);
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
    }
    expect(await statusFrom('127.0.0.2', dashboard.boardUrl, AUTH)).toBe(200);
  });
});

describe('dashboard app behind a trusted proxy', () => {
  let dashboard: TestDashboard;

  beforeAll(async () => {
    dashboard = await startTestDashboard(
      { TRUST_PROXY: 'loopback' },
      { loginThrottle: { maxFailures: 2, windowMs: 60_000 } },
    );
  });
  afterAll(async () => {
    await dashboard?.close();
  });

  const from = (address: string, headers: Record<string, string>) =>
    fetch(dashboard.boardUrl, { headers: { ...headers, 'x-forwarded-for': address } });

  it('throttles the forwarded client, an IPv6 one by its /64, not everyone behind the proxy', async () => {
    const wrong = { authorization: basic(TEST_CREDENTIALS.username, 'a-wrong-password-guess') };
    for (let i = 0; i < 2; i++) expect((await from('203.0.113.5', wrong)).status).toBe(401);
    expect((await from('::ffff:203.0.113.5', AUTH)).status).toBe(429);
    expect((await from('203.0.113.6', AUTH)).status).toBe(200);
    expect((await fetch(dashboard.boardUrl, { headers: AUTH })).status).toBe(200);

    for (let i = 0; i < 2; i++) {
      expect((await from(`2001:db8:5:1::${i + 1}`, wrong)).status).toBe(401);
    }
    expect((await from('2001:db8:5:1:abcd::1', AUTH)).status).toBe(429);
    expect((await from('2001:db8:5:2::1', AUTH)).status).toBe(200);
  });
});

describe('dashboard app on a Redis that evicts keys', () => {
  let redis: RedisServer;
  let dashboard: TestDashboard;

  beforeAll(async () => {
    redis = await RedisServer.start({ appendonly: false, maxmemoryPolicy: 'allkeys-lru' });
    dashboard = await startTestDashboard({ REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await dashboard?.close();
    await redis?.stop();
  });

  it('reports not ready with a short reason, never the address or version of Redis', async () => {
    // Unreachable until the connection is up, then unsafe.
    const body = await waitFor(
      async () => {
        const ready = await fetch(`${dashboard.origin}/readyz`);
        const json = (await ready.json()) as { problems?: string[] };
        return ready.status === 503 && json.problems?.[0]?.includes('maxmemory-policy') && json;
      },
      { description: '/readyz to report the eviction policy' },
    );
    expect(body).toEqual({
      status: 'not-ready',
      problems: ['Redis maxmemory-policy is not noeviction'],
    });
    expect(dashboard.logs()).toContain(
      `maxmemory-policy is allkeys-lru at 127.0.0.1:${redis.port}`,
    );
  });
});

describe('dashboard app while Redis is unreachable', () => {
  let dashboard: TestDashboard;

  beforeAll(async () => {
    const closedPort = await getFreePort();
    dashboard = await startTestDashboard(
      { REDIS_URL: `redis://127.0.0.1:${closedPort}`, REDIS_CONNECT_TIMEOUT_MS: '200' },
      { responseTimeoutMs: 500 },
    );
  });
  afterAll(async () => {
    await dashboard?.close();
  });

  it('stays alive, reports not ready, and answers board calls 503 instead of hanging', async () => {
    expect((await fetch(`${dashboard.origin}/healthz`)).status).toBe(200);
    const ready = await fetch(`${dashboard.origin}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'not-ready', problems: ['Redis is unreachable'] });
    // The details, address included, go to the log only.
    expect(dashboard.logs()).toContain('not ready: /readyz answers 503');
    expect(dashboard.logs()).toContain('Redis is unreachable: ');
    const started = Date.now();
    const queues = await fetch(`${dashboard.boardUrl}api/queues`, { headers: AUTH });
    expect(queues.status).toBe(503);
    expect(queues.headers.get('retry-after')).toBe('5');
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
