import { MaxmemoryRedis } from '@conveyor/testing';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addBulkAtomically } from './add-bulk-atomically.js';

const JOBS = 400;
const TEXT = 'x'.repeat(4096);
const bulk = (tag: string) =>
  Array.from({ length: JOBS }, (_, index) => ({
    name: 'ingest',
    data: { documentId: `${tag}-${index}`, text: TEXT },
    opts: {},
  }));

describe('addBulkAtomically at maxmemory', () => {
  let redis: MaxmemoryRedis;
  let queue: Queue;

  beforeAll(async () => {
    redis = await MaxmemoryRedis.start();
    queue = new Queue('bulk', { connection: redis.client({ maxRetriesPerRequest: 1 }) });
    await queue.waitUntilReady();
  });
  afterAll(async () => {
    await queue?.close();
    await redis?.stop();
  });

  const stored = async () => queue.getWaitingCount();
  /** Leaves room for about a quarter of a bulk: the bulk crosses the limit partway. */
  async function limitWithinReach(): Promise<void> {
    await redis.lift();
    await queue.obliterate({ force: true });
    await redis.leaveRoom(400 * 1024);
  }

  it('keeps part of a bulk with BullMQ addBulk (the failure it replaces)', async () => {
    await limitWithinReach();
    await expect(queue.addBulk(bulk('raw'))).rejects.toThrow(/OOM/);
    const count = await stored();
    expect(count).toBeGreaterThan(0);
    expect(count).toBeLessThan(JOBS);
  });

  it('stores nothing of a bulk that reaches the limit partway', async () => {
    await limitWithinReach();
    await expect(addBulkAtomically(queue, bulk('crossing'))).rejects.toThrow(/^OOM/);
    expect(await stored()).toBe(0);
    // Not a full Redis: a bulk that fits is stored whole.
    await redis.lift();
    const jobs = await addBulkAtomically(queue, bulk('fits'));
    expect(await stored()).toBe(JOBS);
    const ids = jobs.map((job) => String(job.id));
    expect((await queue.getWaiting(0, -1)).map((job) => job.id).sort()).toEqual(ids.sort());
  });

  it('stores nothing when a bulk is cut by maxmemory after the limit is lowered', async () => {
    await limitWithinReach();
    await redis.leaveRoom(-512 * 1024);
    await expect(addBulkAtomically(queue, bulk('full'))).rejects.toThrow(/^OOM/);
    expect(await stored()).toBe(0);
  });
});
