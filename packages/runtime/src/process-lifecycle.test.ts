import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:net';
import { Writable } from 'node:stream';
import {
  createRedisConnection,
  parseEnvironment,
  type RedisConnection,
  redisEnvSchema,
} from '@conveyor/redis';
import { createLogger } from '@conveyor/telemetry';
import { RedisServer, waitFor } from '@conveyor/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LifecycleApp, ProcessLifecycle } from './process-lifecycle.js';

const connect = (url: string): RedisConnection =>
  createRedisConnection(
    parseEnvironment({ redis: redisEnvSchema }, { REDIS_URL: url }).redis,
    'admin',
  );

/** A lifecycle wired to a fake process: signals are emitted on `events`, exits are recorded. */
function setUp(
  connection: RedisConnection,
  options: Partial<ConstructorParameters<typeof ProcessLifecycle>[0]> = {},
) {
  const lines: Array<{ level: string; msg: string; [key: string]: unknown }> = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  const logger = createLogger({ name: 'test', level: 'debug', destination });
  const events = new EventEmitter();
  const exits: number[] = [];
  const lifecycle = new ProcessLifecycle({
    logger,
    connections: { admin: connection },
    exit: (code) => exits.push(code),
    processEvents: events,
    ...options,
  });
  const calls: string[] = [];
  return { lifecycle, events, exits, lines, calls };
}

function recordingApp(calls: string[], stop: () => Promise<number | undefined>): LifecycleApp {
  return {
    start: async () => {
      calls.push('start');
    },
    stop: async (reason) => {
      calls.push(`stop:${reason}`);
      return stop();
    },
  };
}

/** A server that speaks just enough RESP to pass for a Redis older than BullMQ supports. */
async function startOldRedis(version: string): Promise<Server> {
  const info = `redis_version:${version}\r\nmaxmemory_policy:noeviction\r\nloading:0\r\n`;
  const server = createServer((socket) => {
    socket.on('data', (data) => {
      // One answer per command in the chunk (each RESP array starts with `*`).
      for (const command of String(data).split('*').slice(1)) {
        if (/\binfo\b/i.test(command)) socket.write(`$${info.length}\r\n${info}\r\n`);
        else if (/\bping\b/i.test(command)) socket.write('+PONG\r\n');
        else socket.write('+OK\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

describe('ProcessLifecycle', () => {
  let redis: RedisServer;
  const opened: RedisConnection[] = [];
  const open = (url: string) => {
    const connection = connect(url);
    opened.push(connection);
    return connection;
  };
  beforeAll(async () => {
    redis = await RedisServer.start({ appendonly: false, password: 'right' });
  });
  afterAll(() => redis.stop());
  afterEach(() => {
    for (const connection of opened.splice(0)) connection.disconnect();
  });
  const url = () => `redis://:right@127.0.0.1:${redis.port}`;

  it('on a first signal stops the app, closes the connections and exits 0', async () => {
    const connection = open(url());
    const { lifecycle, events, exits, calls } = setUp(connection);
    await lifecycle.run(recordingApp(calls, async () => undefined));
    expect(calls).toEqual(['start']);
    events.emit('SIGTERM', 'SIGTERM');
    await waitFor(() => exits.length > 0, { timeoutMs: 5000, description: 'exit' });
    expect(exits).toEqual([0]);
    expect(calls).toEqual(['start', 'stop:SIGTERM']);
    expect(connection.status).toBe('end');
  });

  it("exits with the app's code when its stop was not clean", async () => {
    const { lifecycle, events, exits, calls } = setUp(open(url()));
    await lifecycle.run(recordingApp(calls, async () => 1));
    events.emit('SIGINT', 'SIGINT');
    await waitFor(() => exits.length > 0, { timeoutMs: 5000, description: 'exit' });
    expect(exits).toEqual([1]);
  });

  it('on a second signal exits at once with 128 + its number', async () => {
    const { lifecycle, events, exits, lines, calls } = setUp(open(url()));
    await lifecycle.run(recordingApp(calls, () => new Promise(() => {})));
    events.emit('SIGTERM', 'SIGTERM');
    expect(lifecycle.isStopping).toBe(true);
    events.emit('SIGINT', 'SIGINT');
    expect(exits).toEqual([130]);
    expect(lines.some((line) => line.msg === 'second signal: exiting now')).toBe(true);
  });

  it('leaves a signal during the shutdown alone when the parent owns the signals', async () => {
    const { lifecycle, events, exits, calls } = setUp(open(url()), { secondSignalExits: false });
    let finish: (code: number) => void = () => {};
    await lifecycle.run(recordingApp(calls, () => new Promise((resolve) => (finish = resolve))));
    events.emit('SIGTERM', 'SIGTERM');
    events.emit('SIGINT', 'SIGINT');
    expect(exits).toEqual([]);
    finish(0);
    await waitFor(() => exits.length > 0, { timeoutMs: 5000, description: 'exit' });
    expect(exits).toEqual([0]);
  });

  it('exits 1 with one readable line when Redis refuses the credentials', async () => {
    const fatal: string[] = [];
    const { lifecycle, exits, lines, calls } = setUp(
      open(`redis://:wrong@127.0.0.1:${redis.port}`),
      { waitForConnectionsMs: 5000, onPermanentFailure: async (reason) => void fatal.push(reason) },
    );
    await lifecycle.run(recordingApp(calls, async () => undefined));
    await waitFor(() => exits.length > 0, { timeoutMs: 5000, description: 'exit' });
    expect(exits).toEqual([1]);
    expect(calls).toEqual([]);
    const fatalLines = lines.filter((line) => line.level === 'fatal');
    expect(fatalLines).toHaveLength(1);
    expect(fatalLines[0]?.msg).toMatch(/^Redis rejected the credentials \(WRONGPASS\): check/);
    expect(fatalLines[0]?.code).toBe('REDIS_AUTH_FAILED');
    expect(fatal).toEqual([fatalLines[0]?.msg]);
  });

  describe('a Redis too old', () => {
    let old: Server;
    beforeAll(async () => {
      old = await startOldRedis('6.0.9');
    });
    afterAll(() => new Promise<void>((resolve) => old.close(() => resolve())));
    const oldUrl = () => {
      const address = old.address();
      return `redis://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    };

    it('exits 1 without starting the app when it answers before the start', async () => {
      const { lifecycle, exits, lines, calls } = setUp(open(oldUrl()), {
        waitForConnectionsMs: 5000,
      });
      await lifecycle.run(recordingApp(calls, async () => undefined));
      expect(exits).toEqual([1]);
      expect(calls).toEqual([]);
      const fatalLines = lines.filter((line) => line.level === 'fatal');
      expect(fatalLines.map((line) => line.msg)).toEqual([
        expect.stringMatching(/^Redis 6\.0\.9 at .* is too old: Conveyor needs Redis 6\.2\.0/),
      ]);
    });

    it('stops the started app gracefully and exits 1 when it answers after the start', async () => {
      const { lifecycle, exits, calls } = setUp(open(oldUrl()));
      await lifecycle.run(recordingApp(calls, async () => undefined));
      await waitFor(() => exits.length > 0, { timeoutMs: 5000, description: 'exit' });
      expect(exits).toEqual([1]);
      expect(calls).toEqual(['start', 'stop:redis too old']);
    });

    it("is left to /readyz with onRedisTooOld: 'report'", async () => {
      const { lifecycle, exits, lines, calls } = setUp(open(oldUrl()), {
        waitForConnectionsMs: 5000,
        onRedisTooOld: 'report',
      });
      await lifecycle.run(recordingApp(calls, async () => undefined));
      expect(calls).toEqual(['start']);
      expect(exits).toEqual([]);
      expect(lines).toContainEqual(
        expect.objectContaining({ level: 'error', problem: expect.stringMatching(/too old/) }),
      );
    });
  });

  it('keeps running on an evicting Redis and logs why /readyz answers 503', async () => {
    const evicting = await RedisServer.start({
      appendonly: false,
      maxmemory: '64mb',
      maxmemoryPolicy: 'allkeys-lru',
    });
    try {
      const { lifecycle, exits, lines, calls } = setUp(open(`redis://127.0.0.1:${evicting.port}`), {
        waitForConnectionsMs: 5000,
      });
      await lifecycle.run(recordingApp(calls, async () => undefined));
      expect(calls).toEqual(['start']);
      expect(exits).toEqual([]);
      expect(lines).toContainEqual(
        expect.objectContaining({
          level: 'error',
          msg: 'Redis is not safe for jobs: /readyz answers 503',
          problem: expect.stringMatching(/maxmemory-policy is allkeys-lru/),
        }),
      );
    } finally {
      await evicting.stop();
    }
  });

  it('exits 1 when the app fails to start', async () => {
    const { lifecycle, exits, lines } = setUp(open(url()));
    await lifecycle.run({
      start: async () => {
        throw new Error('cannot listen on 127.0.0.1:1: EACCES');
      },
      stop: async () => undefined,
    });
    expect(exits).toEqual([1]);
    expect(lines.filter((line) => line.level === 'fatal').map((line) => line.msg)).toEqual([
      'failed to start: cannot listen on 127.0.0.1:1: EACCES',
    ]);
  });
});
