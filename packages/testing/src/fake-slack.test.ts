import { afterEach, describe, expect, it } from 'vitest';
import { FakeSlack } from './fake-slack.js';

let slack: FakeSlack | undefined;
afterEach(() => slack?.stop());

async function post(fake: FakeSlack, replyKey: string) {
  const response = await fetch(`${fake.apiUrl}chat.postMessage`, {
    method: 'POST',
    headers: { authorization: 'Bearer xoxb-test', 'content-type': 'application/json' },
    body: JSON.stringify({
      channel: 'C1',
      thread_ts: '1700000000.000100',
      text: 'hi',
      metadata: { event_type: 'reply', event_payload: { reply_key: replyKey } },
    }),
  });
  return (await response.json()) as { ok: boolean; ts: string };
}

describe('FakeSlack', () => {
  it('counts posts per reply key, so a second post of a key is a duplicate', async () => {
    slack = await FakeSlack.start();
    await post(slack, 'Ev1');
    await post(slack, 'Ev1');
    await post(slack, 'Ev2');
    expect(slack.posts).toBe(3);
    expect(slack.uniqueKeys).toBe(2);
    expect(slack.duplicates).toBe(1);
    expect(slack.missing(['Ev1', 'Ev3'])).toEqual(['Ev3']);
    expect([...slack.authorizations]).toEqual(['Bearer xoxb-test']);
  });

  it('stores a message before answering it postLatencyMs later', async () => {
    slack = await FakeSlack.start({ postLatencyMs: 2000 });
    const answer = post(slack, 'Ev1');
    const fake = slack;
    await expect.poll(() => fake.posts).toBe(1);
    let answered = false;
    void answer.then(() => {
      answered = true;
    });
    expect(answered).toBe(false);
    expect((await answer).ok).toBe(true);
  });

  it('scripts faults per method and lists a thread with its metadata', async () => {
    slack = await FakeSlack.start();
    slack.fail('chat.postMessage', { kind: 'error', error: 'fatal_error' });
    expect((await post(slack, 'Ev1')).ok).toBe(false);
    const { ts } = await post(slack, 'Ev1');
    const replies = await fetch(`${slack.apiUrl}conversations.replies`, {
      method: 'POST',
      headers: { authorization: 'Bearer xoxb-test' },
      body: new URLSearchParams({
        channel: 'C1',
        ts: '1700000000.000100',
        include_all_metadata: 'true',
      }),
    }).then((response) => response.json());
    expect(replies).toMatchObject({
      ok: true,
      messages: [{ ts, metadata: { event_payload: { reply_key: 'Ev1' } } }],
    });
  });
});
