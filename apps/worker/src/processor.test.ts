import { randomUUID } from 'node:crypto';
import { DeadLetterSweep, deadLetterId, Producer, ScheduleTicks } from '@conveyor/queues';
import { createRedisConnection, parseEnvironment, redisEnvSchema } from '@conveyor/redis';
import { createJobMetrics, createLogger, createMetricsRegistry } from '@conveyor/telemetry';
import { waitFor } from '@conveyor/testing';
import { UnrecoverableError, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { HandlerRegistry } from './handlers/handler-registry.js';
import { JobProcessor } from './processor.js';

describe('JobProcessor dead letters', () => {
  const prefix = `p${randomUUID().slice(0, 8)}`;
  const { redis } = parseEnvironment(
    { redis: redisEnvSchema },
    { REDIS_URL: inject('redisUrl'), QUEUE_PREFIX: prefix },
  );
  const connection = createRedisConnection(redis, 'worker');
  const producer = new Producer({ connection, prefix });
  beforeAll(() => waitFor(() => connection.status === 'ready', { description: 'Redis' }));
  afterAll(async () => {
    await producer.close();
    connection.disconnect();
  });

  it('counts a dead letter once, also when a recording stopped between copy and claim', async () => {
    const registry = createMetricsRegistry('worker');
    const metrics = createJobMetrics(registry);
    const handlers = new HandlerRegistry().register('ingestion', 'ingest', {
      handle: async () => {
        throw new UnrecoverableError('bad document');
      },
    });
    const deadLetters = producer.deadLetters('ingestion');
    const processor = () =>
      new JobProcessor({
        queue: 'ingestion',
        registry: handlers,
        logger: createLogger({ name: 'worker', level: 'silent' }),
        metrics,
        deadLetters,
        rateLimit: async () => {},
      });
    const { id } = await producer.enqueue('ingestion', {
      data: { documentId: 'crash-window', source: { kind: 'inline', text: 'x' } },
    });
    const worker = new Worker('ingestion', null, { connection, prefix, autorun: false });
    const job = await worker.getNextJob('token');
    if (job === undefined) throw new Error('no job taken');

    // A first recording stopped (its process died) after storing the copy, before claiming it.
    await deadLetters.queue.add(job.name, { jobId: id }, { jobId: deadLetterId('ingestion', id) });
    // The worker that runs the job next records it; so does one that lost its lock and finished
    // late; then the sweep finds the failed job. One dead letter, counted once.
    await expect(processor().process(job, 'token')).rejects.toThrow('bad document');
    await expect(processor().process(job, 'token')).rejects.toThrow('bad document');
    await job.moveToFailed(new UnrecoverableError('bad document'), 'token', false);
    const sweep = new DeadLetterSweep({
      origin: producer.queue('ingestion'),
      deadLetters,
      connection,
      settleMs: 0,
    });
    const swept = await sweep.sweep(() => metrics.deadLetters.inc({ queue: 'ingestion' }));
    expect(swept.examined).toBe(1);
    expect(swept.recorded).toEqual([]);

    expect(await deadLetters.count()).toBe(1);
    const counted = await registry.getSingleMetricAsString('conveyor_dead_letters_total');
    expect(counted).toMatch(/conveyor_dead_letters_total\{queue="ingestion",app="worker"\} 1$/m);
    await worker.close();
  });

  it('runs a schedule tick it could not place, spending no attempt', async () => {
    const handled: string[] = [];
    const handlers = new HandlerRegistry().register('ingestion', 'ingest', {
      handle: async (job) => {
        handled.push(String(job.id));
        return 'done';
      },
    });
    const errors: Error[] = [];
    const queue = producer.queue('ingestion');
    const processor = new JobProcessor({
      queue: 'ingestion',
      registry: handlers,
      logger: createLogger({ name: 'worker', level: 'silent' }),
      metrics: createJobMetrics(createMetricsRegistry('worker')),
      deadLetters: producer.deadLetters('ingestion'),
      rateLimit: async () => {},
      ticks: new ScheduleTicks({
        connection,
        queue,
        name: 'ingestion',
        onError: (error) => errors.push(error),
      }),
    });
    const schedule = `s-${randomUUID()}`;
    await queue.upsertJobScheduler(
      schedule,
      { every: 60 * 60 * 1000 },
      { name: 'ingest', data: { documentId: 'tick', source: { kind: 'inline', text: 'x' } } },
    );
    const worker = new Worker('ingestion', null, { connection, prefix, autorun: false });
    try {
      let tick = await worker.getNextJob('token');
      while (tick && tick.repeatJobKey !== schedule) tick = await worker.getNextJob('token');
      if (tick === undefined) throw new Error('no tick taken');
      // The lock it is run under is not the one held: putting it back fails in Redis.
      await expect(processor.process(tick, 'not-the-lock')).resolves.toBe('done');
      expect(handled).toEqual([String(tick.id)]);
      expect(errors).toHaveLength(1);
    } finally {
      await queue.removeJobScheduler(schedule);
      await worker.close();
    }
  });
});

describe('JobProcessor cancellation signals', () => {
  const prefix = `s${randomUUID().slice(0, 8)}`;
  const { redis } = parseEnvironment(
    { redis: redisEnvSchema },
    { REDIS_URL: inject('redisUrl'), QUEUE_PREFIX: prefix },
  );
  const connection = createRedisConnection(redis, 'worker');
  const producer = new Producer({ connection, prefix });
  beforeAll(() => waitFor(() => connection.status === 'ready', { description: 'Redis' }));
  afterAll(async () => {
    await producer.close();
    connection.disconnect();
  });

  it('gives a signal only to a cancellable handler, and aborts it on abort()', async () => {
    const seen = new Map<string, AbortSignal | undefined>();
    const handlers = new HandlerRegistry()
      .register('ingestion', 'ingest', {
        cancellable: true,
        handle: (job, context) => {
          seen.set(String(job.id), context.signal);
          return new Promise((_resolve, reject) => {
            context.signal?.addEventListener('abort', () => reject(context.signal?.reason));
          });
        },
      })
      .register('ingestion', 'plain', {
        handle: async (job, context) => {
          seen.set(String(job.id), context.signal);
          return 'done';
        },
      });
    const processor = new JobProcessor({
      queue: 'ingestion',
      registry: handlers,
      logger: createLogger({ name: 'worker', level: 'silent' }),
      metrics: createJobMetrics(createMetricsRegistry('worker')),
      deadLetters: producer.deadLetters('ingestion'),
      rateLimit: async () => {},
    });
    const queue = producer.queue('ingestion');
    const plain = await queue.add('plain', {});
    const cancellable = await queue.add('ingest', {});
    const worker = new Worker('ingestion', null, { connection, prefix, autorun: false });
    const first = await worker.getNextJob('token-1');
    const second = await worker.getNextJob('token-2');
    if (first?.id !== plain.id || second?.id !== cancellable.id) throw new Error('jobs not taken');

    await expect(processor.process(first, 'token-1')).resolves.toBe('done');
    expect(seen.get(String(plain.id))).toBeUndefined();
    expect(processor.abort(String(plain.id))).toBe(false);

    const running = processor.process(second, 'token-2');
    await waitFor(() => seen.has(String(cancellable.id)), { description: 'the handler to start' });
    expect(seen.get(String(cancellable.id))?.aborted).toBe(false);
    expect(processor.abort(String(cancellable.id), 'cancelled')).toBe(true);
    await expect(running).rejects.toThrow('cancelled');
    expect(seen.get(String(cancellable.id))?.aborted).toBe(true);
    // Its controller is gone with the job.
    expect(processor.abort(String(cancellable.id))).toBe(false);
    await worker.close();
  });
});
