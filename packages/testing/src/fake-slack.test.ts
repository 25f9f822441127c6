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

describe('FakeSlack OAuth', () => {
  const form = (params: Record<string, string>) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });

  it('approves on the authorize page, exchanges the code once, and issues per-team tokens', async () => {
    const fake = await FakeSlack.start({ oauthApp: { clientId: 'cid', clientSecret: 'csecret' } });
    slack = fake;
    fake.authorizeAs({ teamId: 'T1', botToken: 'xoxb-t1' });
    const page = await fetch(
      `${fake.authorizeUrl}?client_id=cid&scope=chat:write&state=s1&redirect_uri=${encodeURIComponent('http://app.test/cb')}`,
      { redirect: 'manual' },
    );
    expect(page.status).toBe(302);
    const location = new URL(page.headers.get('location') ?? '');
    expect(location.origin + location.pathname).toBe('http://app.test/cb');
    expect(location.searchParams.get('state')).toBe('s1');
    const code = location.searchParams.get('code') ?? '';

    const exchange = { client_id: 'cid', client_secret: 'csecret', code };
    const wrongSecret = await fetch(
      `${fake.apiUrl}oauth.v2.access`,
      form({ ...exchange, client_secret: 'nope' }),
    );
    expect(await wrongSecret.json()).toEqual({ ok: false, error: 'bad_client_secret' });
    const granted = await (await fetch(`${fake.apiUrl}oauth.v2.access`, form(exchange))).json();
    expect(granted).toMatchObject({
      ok: true,
      access_token: 'xoxb-t1',
      team: { id: 'T1' },
      enterprise: null,
      is_enterprise_install: false,
    });
    const again = await (await fetch(`${fake.apiUrl}oauth.v2.access`, form(exchange))).json();
    expect(again).toEqual({ ok: false, error: 'invalid_code' });

    const authTest = async () =>
      (await fetch(`${fake.apiUrl}auth.test`, {
        method: 'POST',
        headers: { authorization: 'Bearer xoxb-t1' },
      }).then((r) => r.json())) as Record<string, unknown>;
    expect(await authTest()).toMatchObject({ ok: true, team_id: 'T1', user_id: 'UT1BOT' });
    fake.revoke('xoxb-t1');
    expect(await authTest()).toEqual({ ok: false, error: 'token_revoked' });
  });
});
