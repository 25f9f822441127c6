import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './create-logger.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...String(chunk).trim().split('\n'));
      callback();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  it("logs an error's causes once each, with the stack", () => {
    const { lines, destination } = capture();
    const lookup = new Error('getaddrinfo ENOTFOUND docs.invalid');
    const fetchFailed = new Error('fetch failed', { cause: lookup });
    const error = new Error('Cannot fetch it: fetch failed', { cause: fetchFailed });
    createLogger({ name: 'worker', destination }).error({ err: error }, 'job failed for good');
    const record = JSON.parse(lines[0] ?? '{}');
    expect(record.err.message).toBe(
      'Cannot fetch it: fetch failed: getaddrinfo ENOTFOUND docs.invalid',
    );
    expect(record.err.stack).toContain('caused by');
  });

  it('writes JSON lines with the process name, level label and ISO time', () => {
    const { lines, destination } = capture();
    createLogger({ name: 'api', destination }).info({ queue: 'ingestion' }, 'job stored');
    const record = JSON.parse(lines[0] ?? '{}');
    expect(record).toMatchObject({
      name: 'api',
      level: 'info',
      msg: 'job stored',
      queue: 'ingestion',
    });
    expect(record.time).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it('redacts auth headers, Slack signatures and passwords wherever they are logged', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ name: 'api', destination });
    logger.info({
      req: {
        headers: {
          authorization: 'Bearer top-secret-token',
          cookie: 'session=top-secret-cookie',
          'x-slack-signature': 'v0=top-secret-signature',
          'user-agent': 'curl',
        },
      },
      config: { redis: { password: 'top-secret-redis' } },
      password: 'top-secret-password',
    });
    const text = lines.join('\n');
    expect(text).not.toMatch(/top-secret/);
    expect(text).toContain('[redacted]');
    expect(text).toContain('curl');
  });

  it('redacts the arguments ioredis attaches to a failed command (AUTH carries the password)', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ name: 'worker', destination });
    const error = Object.assign(new Error('WRONGPASS invalid username-password pair'), {
      command: { name: 'auth', args: ['conveyor-app', 'top-secret-password'] },
    });
    logger.error({ err: error }, 'queue error');
    logger.error(error, 'logged directly');
    const text = lines.join('\n');
    expect(text).not.toMatch(/top-secret/);
    expect(text).toContain('WRONGPASS');
    expect(text).toContain('"name":"auth"');
  });
});
