import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startRedisReplica } from '@conveyor/testing';
import { Queue } from 'bullmq';
import { type BenchContext, bullConnection } from '../bench-context.js';
import { startConveyorApi } from '../processes/conveyor-api.js';
import { type Figure, pairedRatio } from '../report/figure.js';
import { alternate } from '../support/alternate.js';
import { emptyQueue } from '../support/empty-queue.js';
import { ingestionPayload } from '../support/payloads.js';
import { median, round } from '../support/stats.js';
import { type CannonSample, cannon, expectAccepted, QUEUE } from './http-enqueue.js';

/**
 * The cost of `REDIS_MIN_REPLICAS_ACK=1`: the same HTTP enqueue load against two APIs on the same
 * Redis, which has one replica (no AOF of its own), one waiting for the replica (`WAIT`), the
 * other not. Reported, not judged: what the option buys is durability, not speed.
 */
export async function measureReplicaAckCost(ctx: BenchContext): Promise<Figure[]> {
  const { connections, warmupSeconds, seconds } = ctx.options.http;
  await ctx.client.flushall();
  // Redis waits 5 s for more replicas before a diskless sync by default; there is one.
  await ctx.client.config('SET', 'repl-diskless-sync-delay', '0');
  const replica = await startRedisReplica(ctx.redis, { extraArgs: ['--appendonly', 'no'] });
  const stopReplica = ctx.cleanup.add('redis replica', () => replica.stop());
  const start = async (name: string, replicas: string) => {
    const dir = join(ctx.dir, name);
    await mkdir(dir, { recursive: true });
    const api = await startConveyorApi({
      script: ctx.scripts.api,
      redisUrl: ctx.redis.url,
      secret: ctx.secret,
      dir,
      env: { REDIS_MIN_REPLICAS_ACK: replicas },
    });
    return { api, stop: ctx.cleanup.add(name, () => api.process.stop()) };
  };
  const withAck = await start('api-replica-ack', '1');
  const withoutAck = await start('api-no-replica-ack', '0');
  const queue = new Queue(QUEUE, { connection: bullConnection(ctx), prefix: 'conveyor' });
  try {
    const body = JSON.stringify({ data: ingestionPayload(1) });
    const auth = { authorization: withAck.api.authorization };
    await expectAccepted(withAck.api.url, auth, body);
    await expectAccepted(withoutAck.api.url, auth, body);
    if (warmupSeconds > 0) {
      await cannon(withAck.api.url, auth, body, connections, warmupSeconds);
      await cannon(withoutAck.api.url, auth, body, connections, warmupSeconds);
    }
    const reset = async () => {
      await emptyQueue(ctx.client, queue);
    };
    const describe = (s: CannonSample) =>
      `${round(s.rps)} req/s, p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms${s.failures ? `, ${s.failures} FAILED` : ''}`;
    const samples = await alternate(
      ctx.options.rounds,
      {
        label: 'REDIS_MIN_REPLICAS_ACK=1',
        run: () => cannon(withAck.api.url, auth, body, connections, seconds),
        reset,
      },
      {
        label: 'REDIS_MIN_REPLICAS_ACK=0',
        run: () => cannon(withoutAck.api.url, auth, body, connections, seconds),
        reset,
      },
      ctx.log,
      describe,
    );
    const pick = (key: keyof CannonSample) => ({
      conveyor: samples.conveyor.map((s) => round(s[key])),
      baseline: samples.baseline.map((s) => round(s[key])),
    });
    const failures = [...samples.conveyor, ...samples.baseline].reduce(
      (sum, s) => sum + s.failures,
      0,
    );
    const notes =
      `autocannon, ${connections} connections, ${seconds} s per round, against two APIs on one ` +
      'Redis with one replica; Conveyor = REDIS_MIN_REPLICAS_ACK=1, baseline = 0.' +
      (failures > 0 ? ` ${failures} requests failed (non-2xx, errors or timeouts).` : '');
    const figure = (id: string, label: string, key: keyof CannonSample, digits: number) => {
      const values = pick(key);
      return {
        id,
        label,
        conveyor: median(values.conveyor),
        baseline: median(values.baseline),
        ratio: pairedRatio(values),
        target: 'report',
        pass: failures > 0 ? false : null,
        digits,
        samples: values,
        notes,
      } satisfies Figure;
    };
    return [
      figure(
        'replica-ack-rps',
        `HTTP enqueue, replica ack, ${connections} conn. (req/s)`,
        'rps',
        0,
      ),
      figure('replica-ack-p50', `HTTP enqueue, replica ack, p50 (ms)`, 'p50Ms', 1),
      figure('replica-ack-p99', `HTTP enqueue, replica ack, p99 (ms)`, 'p99Ms', 1),
    ];
  } finally {
    await queue.close();
    await Promise.all([withAck.stop(), withoutAck.stop()]);
    await stopReplica();
  }
}
