import { createLogger } from '@conveyor/telemetry';
import { FakeSlack } from '@conveyor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackPermanentError } from '../../errors/slack-permanent-error.js';
import { SlackRateLimitedError } from '../../errors/slack-rate-limited-error.js';
import { SlackTransientError } from '../../errors/slack-transient-error.js';
import { classifySlackAnswer } from './classify-slack-answer.js';
import { createSlackWebClient } from './slack-web-client.js';
import { webApiAnswer } from './web-api-answer.js';

describe('webApiAnswer', () => {
  let slack: FakeSlack;
  const client = (apiUrl: string) =>
    createSlackWebClient({
      token: 'xoxb-test',
      apiUrl,
      timeoutMs: 2000,
      logger: createLogger({ name: 'test', level: 'silent' }),
    });

  beforeAll(async () => {
    slack = await FakeSlack.start();
  });
  afterAll(() => slack?.stop());

  /** The failure of one `chat.postMessage` that `slack` answers with `fault`. */
  async function failureOf(fault: Parameters<FakeSlack['fail']>[1], channel: string) {
    slack.fail('chat.postMessage', fault);
    const error = await client(slack.apiUrl)
      .chat.postMessage({ channel, text: 'hi' })
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    return classifySlackAnswer('chat.postMessage', webApiAnswer(error));
  }

  it('reads the errors @slack/web-api throws into the one classification', async () => {
    const refused = await failureOf({ kind: 'error', error: 'account_inactive' }, 'C-B');
    expect(refused).toBeInstanceOf(SlackPermanentError);
    expect(refused.message).toContain('account_inactive');

    expect(await failureOf({ kind: 'error', error: 'internal_error' }, 'C-C')).toBeInstanceOf(
      SlackTransientError,
    );
    const down = await failureOf({ kind: 'http', status: 503 }, 'C-D');
    expect(down).toBeInstanceOf(SlackTransientError);
    expect(down.message).toContain('HTTP 503');
    expect(await failureOf({ kind: 'http', status: 404 }, 'C-E')).toBeInstanceOf(
      SlackPermanentError,
    );
    // Last: the fake then refuses every chat.postMessage for Retry-After, as Slack does.
    const limited = await failureOf({ kind: 'rate-limit', retryAfterSec: 2 }, 'C-A');
    expect(limited).toBeInstanceOf(SlackRateLimitedError);
    expect((limited as SlackRateLimitedError).retryAfterMs).toBe(2000);
  });

  it('retries when Slack cannot be reached', async () => {
    const stopped = await FakeSlack.start();
    const apiUrl = stopped.apiUrl;
    await stopped.stop();
    const error = await client(apiUrl)
      .chat.postMessage({ channel: 'C-X', text: 'hi' })
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(classifySlackAnswer('chat.postMessage', webApiAnswer(error))).toBeInstanceOf(
      SlackTransientError,
    );
  });
});
