import { FakeSlack } from '@conveyor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResponseUrlRejectedError } from '../../errors/response-url-rejected-error.js';
import { SlackPermanentError } from '../../errors/slack-permanent-error.js';
import { SlackRateLimitedError } from '../../errors/slack-rate-limited-error.js';
import { SlackTransientError } from '../../errors/slack-transient-error.js';
import { ResponseUrlClient } from './response-url-client.js';

describe('ResponseUrlClient', () => {
  let slack: FakeSlack;
  let client: ResponseUrlClient;

  beforeAll(async () => {
    slack = await FakeSlack.start();
    client = new ResponseUrlClient({ apiUrl: slack.apiUrl, timeoutMs: 2000 });
  });
  afterAll(() => slack?.stop());

  const failureOf = (id: string) =>
    client.post(slack.responseUrl(id), { text: 'hi' }).then(
      () => undefined,
      (caught: unknown) => caught,
    );

  it('POSTs the message as JSON', async () => {
    await client.post(slack.responseUrl('ok'), { text: 'hi', response_type: 'ephemeral' });
    expect(slack.responses.find((r) => r.id === 'ok')?.body).toEqual({
      text: 'hi',
      response_type: 'ephemeral',
    });
  });

  it("classifies Slack's answers as the Web API's are: 4xx permanent, 5xx transient, 429 a pause", async () => {
    for (const status of [404, 410]) {
      slack.fail('response_url', { kind: 'http', status });
      const failure = await failureOf(`gone-${status}`);
      expect(failure).toBeInstanceOf(SlackPermanentError);
      expect((failure as Error).message).toContain(`HTTP ${status} upstream failure`);
    }
    slack.fail('response_url', { kind: 'http', status: 502 });
    expect(await failureOf('down')).toBeInstanceOf(SlackTransientError);
    slack.fail('response_url', { kind: 'rate-limit', retryAfterSec: 3 });
    const limited = await failureOf('limited');
    expect(limited).toBeInstanceOf(SlackRateLimitedError);
    expect((limited as SlackRateLimitedError).retryAfterMs).toBe(3000);
  });

  it('retries when Slack cannot be reached', async () => {
    const stopped = await FakeSlack.start();
    const unreachable = new ResponseUrlClient({ apiUrl: stopped.apiUrl, timeoutMs: 2000 });
    const url = stopped.responseUrl('nobody');
    await stopped.stop();
    const failure = await unreachable.post(url, { text: 'hi' }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(failure).toBeInstanceOf(SlackTransientError);
  });

  it('refuses a URL that is not Slack before sending anything', async () => {
    const calls = slack.calls.length;
    await expect(client.post('http://127.0.0.2:9/steal', { text: 'hi' })).rejects.toBeInstanceOf(
      ResponseUrlRejectedError,
    );
    expect(() => client.check('https://hooks.slack.com/commands/T1/2/x')).not.toThrow();
    expect(() => client.check('https://hooks.slack.com.evil.example/x')).toThrow(
      ResponseUrlRejectedError,
    );
    expect(slack.calls.length).toBe(calls);
  });
});
