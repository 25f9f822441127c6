import { RedisServer, readUsedMemory, waitFor } from '@conveyor/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../src/support/api-client.js';
import { Deployment } from '../src/support/deployment.js';
import { Figures, secondsSince } from '../src/support/figures.js';
import { errorCode, type HttpAnswer } from '../src/support/http.js';
import { findSecretLeaks } from '../src/support/log-scan.js';
import { appMention, inlineDocument } from '../src/support/payloads.js';
import { QueueProbe } from '../src/support/queue-probe.js';
import { standalone } from '../src/support/redis-topology.js';
import { createSecrets } from '../src/support/secrets.js';

/** Tiny on purpose: a few hundred 4 KiB jobs fill it. */
const MAXMEMORY = '3mb';
const MAX_REQUESTS = 3000;
const TEXT = 'x'.repeat(4096);

function isOutOfMemory503(answer: HttpAnswer): boolean {
  const message = (answer.json as { error?: { message?: string } } | undefined)?.error?.message;
  return (
    answer.status === 503 &&
    errorCode(answer) === 'REDIS_UNAVAILABLE' &&
    /out of memory/i.test(message ?? '') &&
    answer.headers.get('retry-after') !== null
  );
}

describe('Redis at maxmemory with noeviction', () => {
  const secrets = createSecrets();
  const figures = new Figures('redis-maxmemory');
  let redis: RedisServer;
  let deployment: Deployment;
  let probe: QueueProbe;
  let admin: Redis;

  beforeAll(async () => {
    redis = await RedisServer.start({ maxmemory: MAXMEMORY, maxmemoryPolicy: 'noeviction' });
    const topology = standalone(redis);
    deployment = new Deployment({ scenario: 'redis-maxmemory', topology, secrets });
    probe = new QueueProbe(topology);
    admin = redis.client();
  });

  afterAll(async () => {
    await deployment?.stop();
    await probe?.close();
    admin?.disconnect();
    await redis?.stop();
  });

  /** The documents of the `ingestion` jobs in Redis, read from the job hashes themselves. */
  async function storedDocuments(): Promise<string[]> {
    const documents: string[] = [];
    const keys = admin.scanStream({ match: `${probe.prefix}:ingestion:*`, count: 1000 });
    for await (const batch of keys) {
      const jobKeys = (batch as string[]).filter((key) =>
        /:ingestion:(\d+|j-[0-9a-f-]{36})$/.test(key),
      );
      const data = await Promise.all(jobKeys.map((key) => admin.hget(key, 'data')));
      for (const json of data)
        documents.push((JSON.parse(json ?? '{}') as { documentId: string }).documentId);
    }
    return documents.sort();
  }

  it('refuses with a clear 503, writes nothing half, and recovers when memory frees', async () => {
    // Redis slow to answer while the API starts, as on a loaded machine: the API listens before
    // its producer connection is ready and refuses writes meanwhile with a 503 that is not the
    // out-of-memory one, so filling Redis starts once the API is ready, not once it listens.
    // Frozen until the producer's first ready check timed out, the connection is still
    // reconnecting when Redis answers again.
    redis.pause();
    const api = await deployment.startApi({}, { waitUntil: 'listening' });
    const client = new ApiClient(api.url, secrets.apiToken, secrets.slackSigningSecret);
    await api.process.waitForLine(/"role":"producer".*"msg":"Redis is not reachable yet/);
    const early = await client.enqueue('ingestion', inlineDocument('relmem-early', TEXT));
    const readiness = deployment.apiReady(api);
    redis.resume();
    expect(early.status, early.text).toBe(503);
    expect(errorCode(early)).toBe('REDIS_UNAVAILABLE');
    expect(isOutOfMemory503(early)).toBe(false);
    await readiness;

    const acknowledged: string[] = [];
    const refusedDocuments: string[] = ['relmem-early'];
    let first503: HttpAnswer | undefined;
    for (let index = 0; index < MAX_REQUESTS && first503 === undefined; index++) {
      const documentId = `relmem-${index}`;
      const answer = await client.enqueue('ingestion', inlineDocument(documentId, TEXT));
      if (answer.status === 202) acknowledged.push(documentId);
      else {
        first503 = answer;
        refusedDocuments.push(documentId);
      }
    }
    figures.set('jobs acknowledged before the limit', acknowledged.length);
    expect(first503, 'Redis never filled up').toBeDefined();
    figures.set('answer at the limit', `${first503?.status} ${first503?.text.slice(0, 160)}`);
    expect(isOutOfMemory503(first503 as HttpAnswer), first503?.text).toBe(true);

    // Redis refuses a write only while used memory is over the limit, and used memory moves on
    // its own (client buffers, a rate-limit window's key expiring): a small write can be
    // accepted a moment later, and rightly. Lowering the limit well below what is used keeps
    // Redis full for the checks below, so each of them sees the same full Redis.
    await admin.config('SET', 'maxmemory', String((await readUsedMemory(admin)) - 512 * 1024));

    // Everything that writes is refused the same way while memory stays full.
    const refused = [
      ...(await Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          client.enqueue('ingestion', inlineDocument(`relmem-full-${index}`, TEXT)),
        ),
      )),
      await client.enqueue('ingestion', inlineDocument('relmem-idem', TEXT), {
        idempotencyKey: 'relmem-idem-key',
      }),
      await client.enqueueBulk(
        'ingestion',
        Array.from({ length: 50 }, (_, index) => inlineDocument(`relmem-bulk-${index}`, TEXT)),
      ),
    ];
    const slackEvent = await client.slackEvent(appMention('EvMEMFULL', 1));
    refusedDocuments.push(
      ...Array.from({ length: 10 }, (_, index) => `relmem-full-${index}`),
      'relmem-idem',
      ...Array.from({ length: 50 }, (_, index) => `relmem-bulk-${index}`),
    );
    figures.set('writes refused at the limit', refused.length + 1);
    expect(refused.filter((answer) => !isOutOfMemory503(answer)).map((a) => a.text)).toEqual([]);
    expect(isOutOfMemory503(slackEvent), slackEvent.text).toBe(true);

    const ready = await client.get('/readyz');
    figures.set('/readyz at the limit', ready.status);

    const atLimit = await storedDocuments();
    const refusedButStored = refusedDocuments.filter((id) => atLimit.includes(id));
    figures.set('jobs in Redis at the limit', atLimit.length);
    figures.set('refused (503) jobs found stored', refusedButStored.length);
    expect(refusedButStored).toEqual([]);
    expect(atLimit).toEqual([...acknowledged].sort());
    const markers = await admin.keys(`${probe.prefix}:ingestion:idem:*`);
    expect(markers).toEqual([]);

    await admin.config('SET', 'maxmemory', '64mb');
    const freed = performance.now();
    let recovered: HttpAnswer | undefined;
    await waitFor(
      async () => {
        // The refused attempt with this key left no marker: this one is stored, not deduplicated.
        const answer = await client.enqueue('ingestion', inlineDocument('relmem-idem', TEXT), {
          idempotencyKey: 'relmem-idem-key',
        });
        if (answer.status === 202) recovered = answer;
        return answer.status === 202;
      },
      {
        description: 'enqueues to succeed once memory is freed',
        timeoutMs: 10_000,
        intervalMs: 50,
      },
    );
    figures.set('seconds from memory freed to first 202', secondsSince(freed));
    expect(recovered?.json).toMatchObject({ deduplicated: false });
    acknowledged.push('relmem-idem');
    expect(await storedDocuments()).toEqual([...acknowledged].sort());
    expect(api.process.running).toBe(true);
    expect(findSecretLeaks(deployment.processes, secrets)).toEqual([]);
    figures.passed();
  });
});
