import { request as httpRequest } from 'node:http';
import { createRedisConnection } from '@conveyor/redis';
import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, issuePaths } from '../../test/support/error-body.js';
import { ingestData } from '../../test/support/payloads.js';
import { OTHER_TOKEN, startTestApp, type TestApp, TOKEN } from '../../test/support/test-app.js';

const JOBS = '/v1/queues/ingestion/jobs';
const BULK = '/v1/queues/ingestion/jobs/bulk';

describe('job routes', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { MAX_JOB_BYTES: '2048' } });
  });
  afterAll(() => app.close());

  describe('POST /v1/queues/:queue/jobs', () => {
    it('stores a job with the catalog policy and answers 202 with its id', async () => {
      const response = await app.postJson(JOBS, { data: ingestData('doc-1') });
      expect(response.status).toBe(202);
      const body = (await response.json()) as { id: string };
      expect(body).toEqual({
        id: body.id,
        queue: 'ingestion',
        name: 'ingest',
        deduplicated: false,
      });
      const job = await app.producer.queue('ingestion').getJob(body.id);
      expect(job?.data).toEqual({
        ...ingestData('doc-1'),
        source: { kind: 'inline', text: 'hello', mediaType: 'text/plain' },
      });
      expect(job?.opts.attempts).toBe(3);
    });

    it('serves non-canonical spellings of the route through Express with the same handler', async () => {
      for (const path of [`${JOBS}/`, '/V1/Queues/ingestion/Jobs', `${JOBS}?source=test`]) {
        const response = await app.postJson(path, { data: ingestData('spelled') });
        expect(response.status).toBe(202);
        expect(await response.json()).toMatchObject({ queue: 'ingestion', name: 'ingest' });
      }
      const unauthorized = await app.request(`${JOBS}/`, { method: 'POST', auth: false });
      expect(unauthorized.status).toBe(401);
    });

    it('applies delay and priority options', async () => {
      const response = await app.postJson(JOBS, {
        data: ingestData('doc-delayed'),
        options: { delay: 60_000, priority: 5 },
      });
      expect(response.status).toBe(202);
      const { id } = (await response.json()) as { id: string };
      const job = await app.producer.queue('ingestion').getJob(id);
      expect(await job?.getState()).toBe('delayed');
      expect(job?.opts.priority).toBe(5);
    });

    it("stores BullMQ's highest priority number and refuses one past it with 400", async () => {
      const highest = await app.postJson(JOBS, {
        data: ingestData('doc-lowest-priority'),
        options: { priority: 2_097_151 },
      });
      expect(highest.status).toBe(202);
      const { id } = (await highest.json()) as { id: string };
      expect((await app.producer.queue('ingestion').getJob(id))?.opts.priority).toBe(2_097_151);
      const past = await app.postJson(JOBS, {
        data: ingestData('doc-past-priority'),
        options: { priority: 2_097_152 },
      });
      expect(past.status).toBe(400);
    });

    it('refuses a delay beyond MAX_DELAY_MS (7 days by default) with 400, single or in a bulk', async () => {
      const week = 7 * 24 * 60 * 60 * 1000;
      const before = await app.countJobs();
      const single = await app.postJson(JOBS, {
        data: ingestData('far'),
        options: { delay: week + 1 },
      });
      expect(single.status).toBe(400);
      expect(issuePaths(await errorOf(single))).toEqual(['options.delay']);
      const bulk = await app.postJson(BULK, {
        jobs: [
          { data: ingestData('ok') },
          { data: ingestData('far'), options: { delay: week * 52 } },
        ],
      });
      expect(bulk.status).toBe(400);
      expect(issuePaths(await errorOf(bulk))).toEqual(['jobs.1.options.delay']);
      expect(await app.countJobs()).toBe(before);
      const atCap = await app.postJson(JOBS, {
        data: ingestData('week'),
        options: { delay: week },
      });
      expect(atCap.status).toBe(202);
    });

    it("keeps each client's Idempotency-Keys apart and answers 409 to a key reused for another payload", async () => {
      const headers = { 'idempotency-key': 'doc-42-v1' };
      const fromOther = await app.request(JOBS, {
        method: 'POST',
        auth: OTHER_TOKEN,
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ data: ingestData('other-doc') }),
      });
      expect(fromOther.status).toBe(202);
      const other = (await fromOther.json()) as { id: string };
      const fromCi = await app.postJson(JOBS, { data: ingestData('ci-doc') }, headers);
      expect(fromCi.status).toBe(202);
      const ci = (await fromCi.json()) as { id: string; deduplicated: boolean };
      expect(ci.deduplicated).toBe(false);
      expect(ci.id).not.toBe(other.id);
      const stored = await app.producer.queue('ingestion').getJob(ci.id);
      expect(stored?.data).toMatchObject({ documentId: 'ci-doc' });

      const before = await app.countJobs();
      const reused = await app.postJson(JOBS, { data: ingestData('ci-doc-v2') }, headers);
      expect(reused.status).toBe(409);
      expect((await errorOf(reused)).error.code).toBe('IDEMPOTENCY_KEY_REUSED');
      const reusedBulk = await app.postJson(
        BULK,
        { jobs: [{ data: ingestData('b-1') }] },
        { 'idempotency-key': 'bulk-42' },
      );
      expect(reusedBulk.status).toBe(202);
      const conflict = await app.postJson(
        BULK,
        { jobs: [{ data: ingestData('b-2') }] },
        { 'idempotency-key': 'bulk-42' },
      );
      expect(conflict.status).toBe(409);
      expect(await app.countJobs()).toBe(before + 1);
    });

    it('returns the first job for a repeated Idempotency-Key, storing one', async () => {
      const before = await app.countJobs();
      const headers = { 'idempotency-key': 'order-42' };
      const first = await app.postJson(JOBS, { data: ingestData('doc-idem') }, headers);
      const second = await app.postJson(JOBS, { data: ingestData('doc-idem') }, headers);
      const firstBody = (await first.json()) as { id: string };
      expect(first.status).toBe(202);
      expect(second.status).toBe(202);
      expect(await second.json()).toEqual({ ...firstBody, deduplicated: true });
      expect(await app.countJobs()).toBe(before + 1);

      const invalid = await app.postJson(
        JOBS,
        { data: ingestData('x') },
        {
          'idempotency-key': 'k'.repeat(201),
        },
      );
      expect(invalid.status).toBe(400);
      expect((await errorOf(invalid)).error.code).toBe('INVALID_REQUEST');
    });

    it('answers 401 without a valid bearer token, and stores nothing', async () => {
      const before = await app.countJobs();
      const body = JSON.stringify({ data: ingestData('doc-unauth') });
      const attempts: (string | undefined)[] = [
        undefined,
        'Bearer wrong-token-0123456789',
        `Basic ${Buffer.from(`ci:${TOKEN}`).toString('base64')}`,
        `Bearer ${TOKEN}x`,
        `Bearer ${TOKEN} extra`,
        'Bearer',
      ];
      for (const authorization of attempts) {
        const response = await app.request(JOBS, {
          method: 'POST',
          auth: false,
          headers: {
            'content-type': 'application/json',
            ...(authorization ? { authorization } : {}),
          },
          body,
        });
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect((await errorOf(response)).error.code).toBe('UNAUTHORIZED');
      }
      const other = await app.request(JOBS, {
        method: 'POST',
        auth: OTHER_TOKEN,
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(other.status).toBe(202);
      expect(await app.countJobs()).toBe(before + 1);
    });

    it('answers 404 for a queue outside the catalog', async () => {
      for (const queue of ['nope', '__proto__', 'constructor', 'ingestion-dead-letters']) {
        const response = await app.postJson(`/v1/queues/${queue}/jobs`, { data: {} });
        expect(response.status).toBe(404);
        const { error } = await errorOf(response);
        expect(error.code).toBe('UNKNOWN_QUEUE');
        expect(error.details).toMatchObject({ knownQueues: ['slack-events', 'ingestion'] });
      }
    });

    it('answers 415 for anything but uncompressed UTF-8 JSON', async () => {
      const body = JSON.stringify({ data: ingestData('doc-415') });
      const variants: Record<string, string>[] = [
        { 'content-type': 'text/plain' },
        { 'content-type': 'application/x-www-form-urlencoded' },
        { 'content-type': 'application/json; charset=latin1' },
        { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        {},
      ];
      for (const headers of variants) {
        const response = await app.request(JOBS, { method: 'POST', headers, body });
        expect(response.status).toBe(415);
        expect((await errorOf(response)).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      }
      const withCharset = await app.request(JOBS, {
        method: 'POST',
        headers: { 'content-type': 'Application/JSON; charset="UTF-8"' },
        body,
      });
      expect(withCharset.status).toBe(202);
    });

    it('answers 400 INVALID_JSON for bodies that are not JSON', async () => {
      for (const body of ['', '{', '{"data":}', 'null x', '{"data":{"__proto__":{}}}']) {
        const response = await app.request(JOBS, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        expect(response.status).toBe(400);
        expect((await errorOf(response)).error.code).toBe('INVALID_JSON');
      }
    });

    it('answers 400 INVALID_PAYLOAD naming each failing path', async () => {
      const response = await app.postJson(JOBS, {
        data: { documentId: 'has spaces', source: { kind: 'url', url: 'ftp://x' } },
        options: { delay: -1 },
        extra: true,
      });
      expect(response.status).toBe(400);
      const body = await errorOf(response);
      expect(body.error.code).toBe('INVALID_PAYLOAD');
      expect(issuePaths(body)).toEqual(expect.arrayContaining(['options.delay', '(body)']));

      const data = await app.postJson(JOBS, {
        data: { documentId: 'has spaces', source: { kind: 'url', url: 'ftp://x' } },
      });
      expect(issuePaths(await errorOf(data))).toEqual(['data.documentId', 'data.source.url']);

      for (const body of [
        [],
        'text',
        42,
        {},
        { data: null },
        { name: 'other', data: ingestData('x') },
      ]) {
        const invalid = await app.postJson(JOBS, body);
        expect(invalid.status).toBe(400);
        expect((await errorOf(invalid)).error.code).toBe('INVALID_PAYLOAD');
      }
    });

    it('answers 413 for job data over MAX_JOB_BYTES and for oversized bodies', async () => {
      const tooBig = await app.postJson(JOBS, { data: ingestData('big', 'x'.repeat(3000)) });
      expect(tooBig.status).toBe(413);
      expect(await errorOf(tooBig)).toMatchObject({
        error: { code: 'PAYLOAD_TOO_LARGE', details: { limitBytes: 2048 } },
      });

      const huge = await app.postJson(JOBS, { data: ingestData('huge', 'x'.repeat(40_000)) });
      expect(huge.status).toBe(413);
      // The rest was read and dropped (it is under MAX_DRAIN_BYTES): the connection stays open.
      expect(huge.headers.get('connection')).toBe('keep-alive');
      expect((await errorOf(huge)).error.code).toBe('BODY_TOO_LARGE');
    });

    it('stops reading a streamed body once it passes the limit', async () => {
      const url = new URL(JOBS, app.url);
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          url,
          {
            method: 'POST',
            headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        // Chunked, no Content-Length: the limit is found while reading. Bounded to 64 chunks.
        let sent = 0;
        const writeMore = () => {
          while (sent < 64 && req.write('x'.repeat(1024))) sent++;
          if (sent < 64) req.once('drain', writeMore);
          else req.end();
        };
        req.write('{"data":"');
        writeMore();
      });
      expect(status).toBe(413);
    });
    it('survives a client that disconnects halfway through the body, storing nothing', async () => {
      const before = await app.countJobs();
      const body = JSON.stringify({ data: ingestData('abandoned') });
      await new Promise<void>((resolve) => {
        const req = httpRequest(new URL(JOBS, app.url), {
          method: 'POST',
          headers: {
            authorization: `Bearer ${TOKEN}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        });
        req.on('error', () => resolve());
        req.write(body.slice(0, 20), () => req.destroy());
      });
      // The server has seen the abort once a later request on another connection is answered.
      expect((await app.request('/healthz')).status).toBe(200);
      expect(await app.countJobs()).toBe(before);
      expect(app.logs()).not.toContain('"level":"error"');
    });
  });

  describe('POST /v1/queues/:queue/jobs/bulk', () => {
    it('stores every job and answers their ids', async () => {
      const before = await app.countJobs();
      const response = await app.postJson(BULK, {
        jobs: [{ data: ingestData('b-1') }, { data: ingestData('b-2'), options: { priority: 2 } }],
      });
      expect(response.status).toBe(202);
      const { jobs } = (await response.json()) as { jobs: { id: string; deduplicated: boolean }[] };
      expect(jobs).toHaveLength(2);
      expect(jobs.every((job) => job.deduplicated === false && job.id.length > 0)).toBe(true);
      expect(await app.countJobs()).toBe(before + 2);
      const second = await app.producer.queue('ingestion').getJob(jobs[1]?.id ?? '');
      expect(second?.data.documentId).toBe('b-2');
    });

    it('stores nothing when one job is invalid, naming every invalid index', async () => {
      const before = await app.countJobs();
      const response = await app.postJson(BULK, {
        jobs: [
          { data: ingestData('ok-1') },
          { data: { documentId: 'bad id', source: { kind: 'inline', text: '' } } },
          { data: ingestData('ok-2') },
          { data: ingestData('ok-3'), unknown: 1 },
        ],
      });
      expect(response.status).toBe(400);
      const body = await errorOf(response);
      expect(body.error.code).toBe('INVALID_PAYLOAD');
      expect(body.error.details?.invalidJobs).toEqual([1, 3]);
      expect(issuePaths(body)).toEqual(['jobs.1.data.documentId', 'jobs.3']);
      expect(await app.countJobs()).toBe(before);
    });

    it('rejects an empty bulk, more than 1,000 jobs, and a job over the size limit', async () => {
      const before = await app.countJobs();
      for (const jobs of [
        [],
        Array.from({ length: 1001 }, (_, i) => ({ data: ingestData(`n${i}`) })),
      ]) {
        const response = await app.postJson(BULK, { jobs });
        expect(response.status).toBe(400);
        expect((await errorOf(response)).error.details?.issues).toEqual([
          expect.objectContaining({ path: 'jobs' }),
        ]);
      }
      const big = await app.postJson(BULK, {
        jobs: [{ data: ingestData('small') }, { data: ingestData('big', 'x'.repeat(3000)) }],
      });
      expect(big.status).toBe(413);
      expect(await errorOf(big)).toMatchObject({
        error: { code: 'PAYLOAD_TOO_LARGE', details: { index: 1 } },
      });
      expect(await app.countJobs()).toBe(before);
    });

    it('answers 415 and 400 INVALID_JSON like the single route', async () => {
      const text = await app.request(BULK, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: '{"jobs":[]}',
      });
      expect(text.status).toBe(415);
      const broken = await app.request(BULK, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"jobs":[',
      });
      expect(broken.status).toBe(400);
      expect((await errorOf(broken)).error.code).toBe('INVALID_JSON');
    });

    it('returns the first request ids for a repeated Idempotency-Key', async () => {
      const headers = { 'idempotency-key': 'bulk-7' };
      const body = { jobs: [{ data: ingestData('i-1') }, { data: ingestData('i-2') }] };
      const first = (await (await app.postJson(BULK, body, headers)).json()) as {
        jobs: { id: string }[];
      };
      const again = await app.postJson(BULK, body, headers);
      expect(again.status).toBe(202);
      expect(await again.json()).toEqual({
        jobs: first.jobs.map((job) => ({ id: job.id, deduplicated: true })),
      });
    });
  });

  describe('GET /v1/queues/:queue/jobs/:id', () => {
    it("reports a job's state, result, failure and timestamps as a worker runs it", async () => {
      const ok = (await (await app.postJson(JOBS, { data: ingestData('run-ok') })).json()) as {
        id: string;
      };
      const bad = (await (await app.postJson(JOBS, { data: ingestData('run-bad') })).json()) as {
        id: string;
      };
      const waiting = await app.request(`${JOBS}/${ok.id}`);
      expect(waiting.status).toBe(200);
      expect(await waiting.json()).toMatchObject({
        id: ok.id,
        queue: 'ingestion',
        name: 'ingest',
        state: 'waiting',
        data: { documentId: 'run-ok' },
        progress: 0,
        attemptsMade: 0,
        returnValue: null,
        failedReason: null,
        processedAt: null,
        finishedAt: null,
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });

      const connection = createRedisConnection(app.config.redis, 'worker');
      const worker = new Worker(
        'ingestion',
        async (job) => {
          if (job.data.documentId === 'run-bad') throw new Error('source unreachable');
          if (job.data.documentId !== 'run-ok') return undefined;
          await job.updateProgress(100);
          return { chunks: 1 };
        },
        { connection, prefix: app.config.redis.prefix },
      );
      try {
        const readJob = async (id: string) =>
          (await (await app.request(`${JOBS}/${id}`)).json()) as Record<string, unknown>;
        await expect
          .poll(async () => (await readJob(ok.id)).state, { timeout: 10_000, interval: 50 })
          .toBe('completed');
        expect(await readJob(ok.id)).toMatchObject({
          returnValue: { chunks: 1 },
          progress: 100,
          attemptsMade: 1,
          processedAt: expect.any(String),
          finishedAt: expect.any(String),
        });
        await expect
          .poll(async () => (await readJob(bad.id)).failedReason, { timeout: 10_000, interval: 50 })
          .toBe('source unreachable');
        expect(await readJob(bad.id)).toMatchObject({ state: 'delayed', attemptsMade: 1 });
      } finally {
        await worker.close();
        connection.disconnect();
      }
    });

    it('never reports "completed" without the result when the job finishes during the read', async () => {
      const { id } = (await (await app.postJson(JOBS, { data: ingestData('race') })).json()) as {
        id: string;
      };
      const queue = app.producer.queue('ingestion');
      const connection = createRedisConnection(app.config.redis, 'worker');
      const worker = new Worker('ingestion', null, {
        connection,
        prefix: app.config.redis.prefix,
        autorun: false,
      });
      const getJob = queue.getJob.bind(queue);
      let finishAfterRead = true;
      // Completes the job right after the route has read its hash, before it reads the state.
      queue.getJob = async (jobId: string) => {
        const job = await getJob(jobId);
        if (finishAfterRead && jobId === id) {
          finishAfterRead = false;
          const active = await worker.getNextJob('race-token');
          expect(active?.id).toBe(id);
          await active?.moveToCompleted({ chunks: 7 }, 'race-token', false);
        }
        return job;
      };
      try {
        const body = (await (await app.request(`${JOBS}/${id}`)).json()) as Record<string, unknown>;
        expect(finishAfterRead).toBe(false);
        expect(body).toMatchObject({ state: 'completed', returnValue: { chunks: 7 } });
      } finally {
        queue.getJob = getJob;
        await worker.close();
        connection.disconnect();
      }
    });

    it('answers 404 for unknown ids, names of BullMQ keys, and unknown queues', async () => {
      for (const id of ['999999', 'meta', 'wait', 'id', 'events', 'x'.repeat(300), '%2F']) {
        const response = await app.request(`${JOBS}/${id}`);
        expect(response.status).toBe(404);
        expect((await errorOf(response)).error.code).toBe('JOB_NOT_FOUND');
      }
      const queue = await app.request('/v1/queues/nope/jobs/1');
      expect(queue.status).toBe(404);
      expect((await errorOf(queue)).error.code).toBe('UNKNOWN_QUEUE');
      expect((await app.request(`${JOBS}/1`, { auth: false })).status).toBe(401);
    });
  });
});
