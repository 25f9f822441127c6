import { auditScriptKeys, RedisServer } from '@conveyor/testing';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientQuota } from './client-quota.js';
import { QuotaExceededError } from './errors/quota-exceeded-error.js';

const PREFIX = '{quota}';

describe('ClientQuota', () => {
  let server: RedisServer;
  let connection: Redis;
  beforeAll(async () => {
    // Its own server: the audit watches every command it runs.
    server = await RedisServer.start({ appendonly: false });
    connection = new Redis(server.url, { maxRetriesPerRequest: null });
  });
  afterAll(async () => {
    connection?.disconnect();
    await server?.stop();
  });

  it('forgets taken jobs from the sample it drew, touching only keys it was given', async () => {
    const quota = new ClientQuota(connection, PREFIX);
    const queue = new Queue('docs', { connection, prefix: PREFIX });
    const charge = { client: 'ci', maxJobs: 2, ttlMs: 60_000 };
    for (const id of ['a', 'b']) {
      await quota.reserve(charge, [{ queue: 'docs', id, bytes: 10 }]);
      await queue.add('ingest', {}, { jobId: id });
    }
    const refused = quota.reserve(charge, [{ queue: 'docs', id: 'c', bytes: 10 }]);
    await expect(refused).rejects.toBeInstanceOf(QuotaExceededError);

    // A worker takes both: the next attempt checks them (sampled by the last one) and admits.
    const worker = new Worker('docs', null, { connection, prefix: PREFIX, autorun: false });
    await worker.getNextJob('t');
    await worker.getNextJob('t');
    const audit = await auditScriptKeys(server.url, () =>
      quota.reserve(charge, [{ queue: 'docs', id: 'c', bytes: 10 }]),
    );
    expect(audit.scripts).toBe(1);
    expect(audit.touched).toEqual(expect.arrayContaining([`${PREFIX}:docs:a`, `${PREFIX}:docs:b`]));
    expect(audit.undeclared).toEqual([]);
    expect(await connection.zcard(`${PREFIX}:quota:ci:jobs`)).toBe(1);
    expect(await connection.get(`${PREFIX}:quota:ci:bytes`)).toBe('10');
    await worker.close();
    await queue.close();
  });
});
