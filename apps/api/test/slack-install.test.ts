import { randomBytes, randomUUID } from 'node:crypto';
import { closeRedisConnection, createRedisConnection } from '@conveyor/redis';
import { waitForConnections } from '@conveyor/runtime';
import { createLogger } from '@conveyor/telemetry';
import { FakeSlack, type FakeSlackGrant, waitFor } from '@conveyor/testing';
import { createWorkerApp, loadEnvironment, type WorkerApp } from '@conveyor/worker';
import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestApp, type TestApp } from './support/test-app.js';

const CLIENT_ID = '1234.5678';
const CLIENT_SECRET = 'client-secret-0123456789abcdef';
const STATE_SECRET = 'state-secret-0123456789abcdef0123456789';
const ENCRYPTION_KEY = randomBytes(32).toString('base64');
const COOKIE = 'slack-app-oauth-state';

let slack: FakeSlack;
let api: TestApp;
let worker: WorkerApp;
let workerLogs: string[];
let closeWorker: () => Promise<void>;

/** A browser's view of the install: the cookie it holds and where Slack sends it back. */
interface StartedInstall {
  state: string;
  cookie: string;
  /** The callback URL Slack's authorize page redirected to (code and state). */
  callback: string;
}

/** `/slack/install`, then Slack's authorize page approving `grant`, as a browser follows them. */
async function startInstall(grant: FakeSlackGrant): Promise<StartedInstall> {
  const install = await fetch(`${api.url}/slack/install`, { redirect: 'manual' });
  expect(install.status).toBe(302);
  const authorize = new URL(install.headers.get('location') ?? '');
  expect(`${authorize.origin}${authorize.pathname}`).toBe(slack.authorizeUrl);
  expect(authorize.searchParams.get('client_id')).toBe(CLIENT_ID);
  expect(authorize.searchParams.get('scope')).toBe('app_mentions:read,chat:write');
  const state = authorize.searchParams.get('state') ?? '';
  const setCookie = install.headers.get('set-cookie') ?? '';
  expect(setCookie).toMatch(new RegExp(`^${COOKIE}=${state.replace(/\./g, '\\.')};`));
  expect(setCookie).toMatch(/HttpOnly/);
  expect(setCookie).toMatch(/Secure/);
  expect(setCookie).toMatch(/SameSite=Lax/);

  slack.authorizeAs(grant);
  const approved = await fetch(authorize, { redirect: 'manual' });
  expect(approved.status).toBe(302);
  const callback = approved.headers.get('location') ?? '';
  expect(new URL(callback).searchParams.get('state')).toBe(state);
  return { state, cookie: `${COOKIE}=${state}`, callback };
}

async function finishInstall(started: StartedInstall, cookie = started.cookie): Promise<Response> {
  return fetch(started.callback, { headers: { cookie }, redirect: 'manual' });
}

async function install(grant: FakeSlackGrant): Promise<string> {
  const started = await startInstall(grant);
  const page = await finishInstall(started);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  expect(await page.text()).toContain('Installed');
  const token = [...slack.installations.values()].at(-1)?.botToken;
  if (!token) throw new Error('the fake issued no token');
  return token;
}

/** An Events API envelope from `workspace` (`team_id`, `enterprise_id`, ...). */
function envelope(workspace: Record<string, unknown>, event: Record<string, unknown>) {
  return {
    type: 'event_callback',
    api_app_id: 'A0FAKEAPP',
    event_id: `Ev${randomUUID().replaceAll('-', '').slice(0, 12).toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    ...workspace,
    event,
  };
}

function mention(channel: string, workspace: Record<string, unknown>) {
  const ts = `${Math.floor(Date.now() / 1000)}.${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;
  return envelope(workspace, {
    type: 'app_mention',
    user: 'U0001',
    text: 'hello',
    channel,
    ts,
    event_ts: ts,
  });
}

/** Posts a signed event to the API and waits for the worker to finish its job. */
async function deliver(envelope: unknown): Promise<Job> {
  const response = await api.postSlackEvent(envelope);
  expect(response.status).toBe(200);
  const { id } = (await response.json()) as { id: string };
  const queue = api.producer.queue('slack-events');
  return waitFor(
    async () => {
      const state = await queue.getJobState(id);
      return state === 'completed' || state === 'failed' ? queue.getJob(id) : undefined;
    },
    { timeoutMs: 15_000, description: `job ${id} to finish` },
  );
}

async function installationKeys(): Promise<string[]> {
  return (await api.redis.keys(`${api.config.redis.prefix}:slack:installation:*`)).sort();
}

beforeAll(async () => {
  slack = await FakeSlack.start({ oauthApp: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET } });
  const slackEnv = {
    SLACK_API_URL: slack.apiUrl,
    SLACK_TOKEN_ENCRYPTION_KEY: ENCRYPTION_KEY,
  };
  api = await startTestApp({
    env: {
      ...slackEnv,
      SLACK_CLIENT_ID: CLIENT_ID,
      SLACK_CLIENT_SECRET: CLIENT_SECRET,
      SLACK_STATE_SECRET: STATE_SECRET,
      SLACK_SCOPES: 'app_mentions:read,chat:write',
      SLACK_AUTHORIZE_URL: slack.authorizeUrl,
      SLACK_OAUTH_RATE_LIMIT_PER_MINUTE: '1000',
    },
  });
  // Slack sends the browser to the app's configured Redirect URL.
  slack.oauthApp = {
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUrl: `${api.url}/slack/oauth_redirect`,
  };

  const { redis, worker: config } = loadEnvironment({
    REDIS_URL: inject('redisUrl'),
    QUEUE_PREFIX: api.config.redis.prefix,
    WORKER_QUEUES: 'slack-events',
    WORKER_HTTP_PORT: '0',
    LOG_LEVEL: 'debug',
    // The shared shortcut too: it must never stand in for a workspace that uninstalled the app.
    SLACK_BOT_TOKEN: 'xoxb-shared-fallback',
    ...slackEnv,
  });
  workerLogs = [];
  const connections = {
    worker: createRedisConnection(redis, 'worker'),
    admin: createRedisConnection(redis, 'admin'),
  };
  worker = createWorkerApp({
    config,
    prefix: redis.prefix,
    connections,
    logger: createLogger({
      name: 'worker',
      level: 'debug',
      destination: { write: (line: string) => void workerLogs.push(line) },
    }),
  });
  await waitForConnections(Object.values(connections), 5000);
  await worker.start();
  closeWorker = async () => {
    await worker.stop(2000);
    await Promise.all(Object.values(connections).map((c) => closeRedisConnection(c)));
  };
});

afterAll(async () => {
  await closeWorker?.();
  await api?.close();
  await slack?.stop();
});

describe('installing the Slack app in many workspaces', () => {
  let tokenOne: string;
  let tokenTwo: string;

  it('installs over OAuth, stores each workspace sealed, and answers each with its own token', async () => {
    tokenOne = await install({ teamId: 'TONE' });
    tokenTwo = await install({ teamId: 'TTWO' });
    expect(tokenOne).not.toBe(tokenTwo);
    expect(await installationKeys()).toEqual([
      `${api.config.redis.prefix}:slack:installation:team:TONE`,
      `${api.config.redis.prefix}:slack:installation:team:TTWO`,
    ]);
    for (const key of await installationKeys()) {
      const raw = JSON.stringify(await api.redis.hgetall(key));
      expect(raw).not.toContain('xoxb-');
      expect(raw).not.toContain(tokenOne);
      expect(raw).not.toContain(tokenTwo);
    }
    // The code was exchanged with the app's credentials, and used once.
    expect(slack.callsOf('oauth.v2.access').map((call) => call.params.client_id)).toEqual([
      CLIENT_ID,
      CLIENT_ID,
    ]);

    const one = await deliver(mention('C-ONE', { team_id: 'TONE' }));
    const two = await deliver(mention('C-TWO', { team_id: 'TTWO' }));
    expect(one.returnvalue).toMatchObject({ replied: true, channel: 'C-ONE' });
    expect(two.returnvalue).toMatchObject({ replied: true, channel: 'C-TWO' });
    expect(slack.messagesIn('C-ONE').map((m) => m.token)).toEqual([tokenOne]);
    expect(slack.messagesIn('C-TWO').map((m) => m.token)).toEqual([tokenTwo]);
  });

  it('answers a workspace of an organisation with the org-wide install', async () => {
    const orgToken = await install({ enterpriseId: 'EORG', isEnterpriseInstall: true });
    expect(await installationKeys()).toContain(
      `${api.config.redis.prefix}:slack:installation:enterprise:EORG`,
    );
    const job = await deliver(
      mention('C-ORG', {
        team_id: 'TINORG',
        enterprise_id: 'EORG',
        is_enterprise_install: true,
        authorizations: [{ enterprise_id: 'EORG', team_id: null, is_enterprise_install: true }],
      }),
    );
    expect(job.returnvalue).toMatchObject({ replied: true });
    expect(slack.messagesIn('C-ORG').map((m) => m.token)).toEqual([orgToken]);
  });

  it('dead-letters only the job of a workspace Slack refuses for good, and pauses nothing', async () => {
    slack.fail('chat.postMessage', { kind: 'error', error: 'invalid_auth' });
    const refused = await deliver(mention('C-REFUSED', { team_id: 'TONE' }));
    expect(refused.failedReason).toMatch(/invalid_auth/);
    expect(refused.attemptsMade).toBe(1);
    const other = await deliver(mention('C-OTHER', { team_id: 'TTWO' }));
    expect(other.returnvalue).toMatchObject({ replied: true });
    expect(slack.messagesIn('C-OTHER').map((m) => m.token)).toEqual([tokenTwo]);
    expect(await api.producer.queue('slack-events').isPaused()).toBe(false);
  });

  it('refuses a missing, forged, foreign or replayed state, and never exchanges its code', async () => {
    const exchanges = () => slack.callsOf('oauth.v2.access').length;
    const keys = await installationKeys();

    const started = await startInstall({ teamId: 'TEVIL' });
    const before = exchanges();
    const withState = (state: string | undefined) => {
      const url = new URL(started.callback);
      if (state === undefined) url.searchParams.delete('state');
      else url.searchParams.set('state', state);
      return url.toString();
    };
    const [nonce, expiry] = started.state.split('.');
    const forged = `${nonce}.${expiry}.${'A'.repeat(43)}`;
    const attempts = [
      // No state at all.
      fetch(withState(undefined), { headers: { cookie: started.cookie } }),
      // No cookie: the state was started in another browser (login CSRF).
      fetch(started.callback),
      // A forged signature, in a browser holding it as a cookie.
      fetch(withState(forged), { headers: { cookie: `${COOKIE}=${forged}` } }),
      // Cookie and state disagree.
      finishInstall(started, `${COOKIE}=${forged}`),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    }
    expect(exchanges()).toBe(before);

    // The real one works once; the same callback again (cookie and all) is refused.
    expect((await finishInstall(started)).status).toBe(200);
    const replay = await finishInstall(started);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toMatch(/already used|expired/);
    expect(exchanges()).toBe(before + 1);
    expect(await installationKeys()).toEqual(
      [...keys, `${api.config.redis.prefix}:slack:installation:team:TEVIL`].sort(),
    );
  });

  it('removes an installation on app_uninstalled and tokens_revoked; later events dead-letter', async () => {
    const removed = await deliver(envelope({ team_id: 'TONE' }, { type: 'app_uninstalled' }));
    expect(removed.returnvalue).toEqual({ installation: 'team:TONE', outcome: 'removed' });
    slack.revoke(tokenOne);

    const orphan = await deliver(mention('C-ONE', { team_id: 'TONE' }));
    expect(await orphan.getState()).toBe('failed');
    expect(orphan.attemptsMade).toBe(1);
    expect(orphan.failedReason).toMatch(/not installed in workspace TONE/);
    const deadLetter = await waitFor(
      () => api.producer.deadLetters('slack-events').get(`slack-events-${orphan.id}`),
      { description: 'the dead letter' },
    );
    expect(deadLetter).toMatchObject({ unrecoverable: true, attemptsMade: 1 });
    expect(deadLetter.failedReason).toMatch(/GET \/slack\/install/);
    expect(slack.messagesIn('C-ONE')).toHaveLength(1);

    // Another workspace goes on; then its bot token is revoked.
    expect((await deliver(mention('C-TWO', { team_id: 'TTWO' }))).returnvalue).toMatchObject({
      replied: true,
    });
    const userOnly = await deliver(
      envelope({ team_id: 'TTWO' }, { type: 'tokens_revoked', tokens: { oauth: ['U1'] } }),
    );
    expect(userOnly.returnvalue).toMatchObject({ ignored: true });
    const revoked = await deliver(
      envelope({ team_id: 'TTWO' }, { type: 'tokens_revoked', tokens: { bot: ['UTTWOBOT'] } }),
    );
    expect(revoked.returnvalue).toEqual({ installation: 'team:TTWO', outcome: 'removed' });
    const after = await deliver(mention('C-TWO', { team_id: 'TTWO' }));
    expect(after.failedReason).toMatch(/not installed in workspace TTWO/);
    // What is left is a tombstone, holding no token: it keeps SLACK_BOT_TOKEN from standing in.
    expect(
      Object.keys(
        await api.redis.hgetall(`${api.config.redis.prefix}:slack:installation:team:TTWO`),
      ),
    ).toEqual(['uninstalledAt']);
  });

  it('keeps a reinstall that overtook an older uninstall event', async () => {
    const token = await install({ teamId: 'TBACK' });
    const stale = await deliver(
      envelope(
        { team_id: 'TBACK', event_time: Math.floor(Date.now() / 1000) - 60 },
        { type: 'app_uninstalled' },
      ),
    );
    expect(stale.returnvalue).toEqual({ installation: 'team:TBACK', outcome: 'reinstalled' });
    await deliver(mention('C-BACK', { team_id: 'TBACK' }));
    expect(slack.messagesIn('C-BACK').map((m) => m.token)).toEqual([token]);
  });

  it('never logs a token, the client secret or a code', () => {
    const logs = `${api.logs()}\n${workerLogs.join('')}`;
    expect(logs).toContain('Slack app installed');
    for (const installation of slack.installations.values()) {
      expect(logs).not.toContain(installation.botToken);
    }
    expect(logs).not.toContain(CLIENT_SECRET);
    expect(logs).not.toContain(STATE_SECRET);
    expect(logs).not.toMatch(/code-\d+-/);
  });
});
