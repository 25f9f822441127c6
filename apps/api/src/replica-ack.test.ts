import {
  RedisServer,
  SYNC_NOW,
  startRedisReplica,
  waitFor,
  waitForReplicaSync,
} from '@conveyor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf } from '../test/support/error-body.js';
import { ingestData, slackEvent } from '../test/support/payloads.js';
import { startTestApp, type TestApp } from '../test/support/test-app.js';

/** The defaults: a replica stalled by a busy host for a moment still confirms in time. */
const ACK_TIMEOUT_MS = 500;
const COMMAND_TIMEOUT_MS = 1000;
/** The producer's deadline (command timeout + 500 + two WAITs), and room for a busy host. */
const BOUND_MS = COMMAND_TIMEOUT_MS + 500 + 2 * ACK_TIMEOUT_MS + 1000;
/** Replication needs no disk: no fsync stall on a busy host. */
const NO_AOF = ['--appendonly', 'no'];

describe('REDIS_MIN_REPLICAS_ACK=1', () => {
  let master: RedisServer;
  let replica: RedisServer;
  let app: TestApp;

  beforeAll(async () => {
    master = await RedisServer.start({ appendonly: false, extraArgs: SYNC_NOW });
    replica = await startRedisReplica(master, { extraArgs: NO_AOF });
    app = await startTestApp({
      redisUrl: master.url,
      env: {
        REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS),
        REDIS_MIN_REPLICAS_ACK: '1',
        REDIS_REPLICA_ACK_TIMEOUT_MS: String(ACK_TIMEOUT_MS),
      },
    });
  });
  afterAll(async () => {
    await app?.close();
    await replica?.stop();
    await master?.stop();
  });

  const enqueue = (documentId: string, headers: Record<string, string> = {}) =>
    app.postJson('/v1/queues/ingestion/jobs', { data: ingestData(documentId) }, headers);
  const bulk = (documentId: string) =>
    app.postJson('/v1/queues/ingestion/jobs/bulk', { jobs: [{ data: ingestData(documentId) }] });
  const slackPost = (eventId: string) => app.postSlackEvent(slackEvent(eventId));
  /** A dead letter of a fresh job, to replay. */
  const deadLetter = async (documentId: string) => {
    const job = await app.producer.queue('ingestion').add('ingest', ingestData(documentId));
    return app.producer
      .deadLetters('ingestion')
      .record(job, new Error('boom'), { unrecoverable: true })
      .then((letter) => letter.id);
  };
  const replay = (id: string) =>
    app.request(`/v1/queues/ingestion/dead-letters/${id}/replay`, { method: 'POST' });
  const readyz = () => app.request('/readyz', { auth: false });

  it('acknowledges enqueues the replica confirmed', async () => {
    const live = await enqueue('live');
    expect(live.status).toBe(202);
    expect((await bulk('live-bulk')).status).toBe(202);
    expect((await slackPost('Ev-live')).status).toBe(200);
    expect((await replay(await deadLetter('live-replay'))).status).toBe(202);
    expect((await readyz()).status).toBe(200);
  });

  it('answers 503 REPLICA_ACK_TIMEOUT with Retry-After when the replica does not confirm, and a retry with the same key is safe', async () => {
    const letter = await deadLetter('paused-replay');
    replica.pause();
    try {
      const attempts: [string, () => Promise<Response>][] = [
        ['enqueue', () => enqueue('paused', { 'idempotency-key': 'paused-key' })],
        ['bulk', () => bulk('paused-bulk')],
        ['slack event', () => slackPost('Ev-paused')],
        ['replay', () => replay(letter)],
      ];
      for (const [what, request] of attempts) {
        const started = performance.now();
        const response = await request();
        const ms = performance.now() - started;
        expect({ what, status: response.status }).toEqual({ what, status: 503 });
        expect(ms).toBeLessThan(BOUND_MS);
        expect(response.headers.get('retry-after')).toBe('1');
        const body = await errorOf(response);
        expect(body.error.code).toBe('REPLICA_ACK_TIMEOUT');
        expect(body.error.message).toContain('retry with the same Idempotency-Key');
        expect(body.error.details).toEqual({ requiredReplicas: 1, acknowledgedReplicas: 0 });
      }
    } finally {
      replica.resume();
    }
    // The master stored the job: the retry returns it rather than storing a second one.
    const retried = await enqueue('paused', { 'idempotency-key': 'paused-key' });
    expect(retried.status).toBe(202);
    expect(await retried.json()).toMatchObject({ deduplicated: true });
    const slackRetry = await slackPost('Ev-paused');
    expect(await slackRetry.json()).toMatchObject({ ok: true, deduplicated: true });
  });

  it('says not ready while fewer replicas are online than required, and recovers', async () => {
    await replica.kill('SIGKILL');
    const notReady = await waitFor(
      async () => {
        const response = await readyz();
        if (response.status !== 503) return undefined;
        return (await response.json()) as { problems: string[] };
      },
      { description: '/readyz to report the missing replica' },
    );
    expect(notReady.problems).toEqual([
      'fewer Redis replicas online than REDIS_MIN_REPLICAS_ACK requires',
    ]);
    expect((await enqueue('alone')).status).toBe(503);

    await replica.restart();
    await waitForReplicaSync(master, replica);
    await waitFor(async () => (await readyz()).status === 200, {
      description: '/readyz to be ready once the replica is back',
      timeoutMs: 20_000,
    });
    expect((await enqueue('back')).status).toBe(202);
  });
});
