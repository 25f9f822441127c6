import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createLogger } from './create-logger.js';
import { REDACT_PATHS } from './redact-paths.js';
import { wildcardRedactor } from './wildcard-redactor.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).trim().split('\n')) {
        const { time: _time, ...rest } = JSON.parse(line) as Record<string, unknown>;
        lines.push(rest);
      }
      callback();
    },
  });
  return { lines, destination };
}

const commandError = () =>
  Object.assign(new Error('WRONGPASS invalid username-password pair'), {
    command: { name: 'auth', args: ['conveyor-app', 'top-secret-password'] },
  });

const SAMPLES: Record<string, unknown>[] = [
  { durationMs: 3 },
  { queue: 'ingestion', jobId: '7', attempt: 1, tags: ['a', 'b'] },
  { config: { redis: { password: 'p1', target: { sentinelPassword: 'p2' } }, token: 't' } },
  { options: { password: 'p3', nested: { password: 'stays two levels down' } }, secret: 's' },
  { req: { headers: { authorization: 'Bearer x', cookie: 'c', 'x-slack-signature': 'v0=1' } } },
  { client: { apiTokens: ['a:b'], botToken: 'xoxb', signingSecret: 'sss' }, list: [{ token: 1 }] },
  { err: commandError(), other: { command: { args: ['GET', 'payload'], name: 'get' } } },
  { authorization: 'top', headers: { authorization: 'h', cookie: 'c', 'x-slack-signature': 's' } },
  { value: null, empty: {}, number: 1, text: 'x', undef: undefined },
];

describe('wildcardRedactor', () => {
  it('redacts exactly what pino redacts for the same paths, in log objects and bindings', () => {
    const ours = capture();
    const theirs = capture();
    const logger = createLogger({ name: 't', destination: ours.destination, level: 'debug' });
    const reference = pino(
      {
        name: 't',
        level: 'debug',
        base: { pid: process.pid },
        redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
        formatters: { level: (label) => ({ level: label }) },
      },
      theirs.destination,
    );
    for (const sample of SAMPLES) {
      logger.info(sample, 'sample');
      reference.info(sample, 'sample');
      logger.child(sample).info('child');
      reference.child(sample).info('child');
    }
    const direct = commandError();
    logger.error(direct, 'direct');
    reference.error(direct, 'direct');
    expect(ours.lines).toEqual(theirs.lines);
    expect(JSON.stringify(ours.lines)).not.toMatch(/top-secret|"p1"|"p3"|xoxb|Bearer/);
  });

  it('never changes what the caller logged, and returns objects without secrets as they are', () => {
    const redact = wildcardRedactor(['*.password', '*.command.args'], '[x]');
    const error = commandError();
    const logged = { err: error, options: { password: 'p', keep: 1 } };
    const redacted = redact(logged);
    expect(redacted).toMatchObject({ options: { password: '[x]', keep: 1 } });
    expect(redacted.err).toBeInstanceOf(Error);
    expect(redacted.err.message).toBe(error.message);
    expect((redacted.err as unknown as { command: { args: unknown } }).command.args).toBe('[x]');
    expect(logged.options.password).toBe('p');
    expect(error.command.args).toEqual(['conveyor-app', 'top-secret-password']);
    const clean = { queue: 'q', nested: { fine: true } };
    expect(redact(clean)).toBe(clean);
  });
});
