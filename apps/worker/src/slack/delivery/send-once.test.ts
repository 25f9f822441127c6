import { randomUUID } from 'node:crypto';
import {
  closeRedisConnection,
  createRedisConnection,
  parseEnvironment,
  type RedisConnection,
  redisEnvSchema,
} from '@conveyor/redis';
import { waitFor } from '@conveyor/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SlackPermanentError } from '../../errors/slack-permanent-error.js';
import { SlackRateLimitedError } from '../../errors/slack-rate-limited-error.js';
import { SlackReplyInProgressError } from '../../errors/slack-reply-in-progress-error.js';
import { SlackTransientError } from '../../errors/slack-transient-error.js';
import { ReplyLedger } from './reply-ledger.js';
import { sendOnce } from './send-once.js';

describe('sendOnce', () => {
  let redis: RedisConnection;
  let ledger: ReplyLedger;
  const sent: string[] = [];
  const send = (receipt: string) => async () => {
    sent.push(receipt);
    return receipt;
  };
  const failWith = (error: Error) => async (): Promise<string> => {
    throw error;
  };

  beforeAll(async () => {
    const config = parseEnvironment({ redis: redisEnvSchema }, { REDIS_URL: inject('redisUrl') });
    redis = createRedisConnection(config.redis, 'admin');
    await waitFor(() => redis.status === 'ready', { description: 'Redis' });
    ledger = new ReplyLedger({ connection: redis, prefix: `t${randomUUID().slice(0, 8)}` });
  });
  afterAll(() => closeRedisConnection(redis));

  it('sends once, then answers with the first receipt without sending', async () => {
    expect(await sendOnce(ledger, { key: 'K1', attempt: 'a1', send: send('1.1') })).toEqual({
      receipt: '1.1',
      deduplicated: false,
    });
    expect(await sendOnce(ledger, { key: 'K1', attempt: 'a2', send: send('1.2') })).toEqual({
      receipt: '1.1',
      deduplicated: true,
    });
    expect(sent).toEqual(['1.1']);
  });

  it('after an interrupted attempt, trusts Slack when it can be asked', async () => {
    await ledger.claim('K2', 'died');
    const found = await sendOnce(ledger, {
      key: 'K2',
      attempt: 'a2',
      findSent: async () => '2.1',
      send: send('2.2'),
    });
    expect(found).toEqual({ receipt: '2.1', deduplicated: true });
    expect(await ledger.claim('K2', 'a3')).toEqual({ state: 'posted', ts: '2.1' });

    await ledger.claim('K3', 'died');
    const again = await sendOnce(ledger, { key: 'K3', attempt: 'a2', send: send('3.1') });
    expect(again).toEqual({ receipt: '3.1', deduplicated: false });
    expect(sent).toContain('3.1');
  });

  it('asks Slack on a retry even when the ledger lost its marker', async () => {
    let asked = 0;
    const findSent = async () => {
      asked += 1;
      return '4.1';
    };
    await sendOnce(ledger, { key: 'K4', attempt: 'a1', findSent, send: send('4.0') });
    expect(asked).toBe(0);
    await redis.del(ledger.key('K4'));
    const retried = await sendOnce(ledger, {
      key: 'K4',
      attempt: 'a2',
      retry: true,
      findSent,
      send: send('4.2'),
    });
    expect(retried).toEqual({ receipt: '4.1', deduplicated: true });
    expect(asked).toBe(1);
  });

  it('releases the claim on a definite "no" from Slack, keeps it when the send may have arrived', async () => {
    for (const [key, error] of [
      ['K5', new SlackPermanentError('response_url', 'HTTP 404')],
      ['K6', new SlackRateLimitedError('chat.postMessage', 1000)],
    ] as const) {
      await expect(sendOnce(ledger, { key, attempt: 'a1', send: failWith(error) })).rejects.toBe(
        error,
      );
      expect(await ledger.claim(key, 'a2')).toEqual({ state: 'new' });
    }
    const lost = new SlackTransientError('chat.postMessage', 'HTTP 500');
    await expect(sendOnce(ledger, { key: 'K7', attempt: 'a1', send: failWith(lost) })).rejects.toBe(
      lost,
    );
    expect(await ledger.claim('K7', 'a2')).toEqual({ state: 'uncertain', marker: 'posting:a1' });
  });

  it('refuses to send when another attempt took the claim over meanwhile', async () => {
    await ledger.claim('K8', 'died');
    const racing = sendOnce(ledger, {
      key: 'K8',
      attempt: 'a2',
      findSent: async () => {
        await ledger.takeOver('K8', 'posting:died', 'a3');
        return undefined;
      },
      send: send('8.1'),
    });
    await expect(racing).rejects.toBeInstanceOf(SlackReplyInProgressError);
    expect(sent).not.toContain('8.1');
  });
});
