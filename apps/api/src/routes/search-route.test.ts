import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, issuePaths } from '../../test/support/error-body.js';
import { ingestData, slackEvent } from '../../test/support/payloads.js';
import { OTHER_TOKEN, startTestApp, type TestApp } from '../../test/support/test-app.js';

interface SearchPage {
  jobs: { queue: string; id: string; state: string; deadLetter: boolean; keys: object }[];
  next?: string;
}

describe('GET /v1/search', () => {
  let app: TestApp;

  beforeAll(async () => {
    // `other` may read slack-events only, and enqueue to ingestion.
    app = await startTestApp({
      env: {
        API_CLIENT_SCOPES:
          'other=read:slack-events enqueue:ingestion enqueue:slack-events tenant:T0TEST tenant:T0OTHER',
      },
    });
  });
  afterAll(() => app.close());

  const search = async (query: string, token?: string) => {
    const response = await app.request(`/v1/search?${query}`, token ? { auth: token } : {});
    return { status: response.status, body: (await response.json()) as SearchPage };
  };

  it('finds an enqueued job by documentId, newest first, and pages with next', async () => {
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      const created = await app.postJson('/v1/queues/ingestion/jobs', {
        data: { ...ingestData(`route-doc-${n}`), orgId: 'route-org' },
      });
      ids.push(((await created.json()) as { id: string }).id);
    }
    const one = await search('key=documentId&value=route-doc-2');
    expect(one.status).toBe(200);
    expect(one.body.jobs).toMatchObject([
      {
        queue: 'ingestion',
        id: ids[1],
        state: 'waiting',
        deadLetter: false,
        tenant: 'route-org',
      },
    ]);
    const first = await search('key=orgId&value=route-org&limit=2');
    expect(first.body.jobs.map((job) => job.id)).toEqual([ids[2], ids[1]]);
    const second = await search(`key=orgId&value=route-org&limit=2&cursor=${first.body.next}`);
    expect(second.body).toEqual({ jobs: [expect.objectContaining({ id: ids[0] })] });
  });

  it('answers 400 for an unknown key (listing the valid ones), a bad limit, state or cursor', async () => {
    const unknown = await app.request('/v1/search?key=colour&value=blue');
    expect(unknown.status).toBe(400);
    const body = await errorOf(unknown);
    expect(body.error.code).toBe('UNKNOWN_SEARCH_KEY');
    expect(body.error.details?.validKeys).toEqual(
      expect.arrayContaining(['documentId', 'orgId', 'event_id', 'team_id', 'channel', 'user']),
    );
    for (const [query, path] of [
      ['key=orgId&value=x&limit=0', 'query.limit'],
      ['key=orgId&value=x&limit=101', 'query.limit'],
      ['key=orgId&value=x&state=sleeping', 'query.state'],
      ['key=orgId', 'query.value'],
      [`key=orgId&value=${'v'.repeat(257)}`, 'query.value'],
      ['key=orgId&value=x&key=documentId', 'query.key'],
      ['key=orgId&value=x&cursor=not+a+cursor', 'query.cursor'],
      ['key=orgId&value=x&queue=nope', 'query.queue'],
    ]) {
      const response = await app.request(`/v1/search?${query}`);
      expect(response.status, query).toBe(400);
      expect(issuePaths(await errorOf(response)), query).toContain(path);
    }
    const forged = await app.request('/v1/search?key=orgId&value=x&cursor=bm9wZQ');
    expect(forged.status).toBe(400);
    expect((await errorOf(forged)).error.code).toBe('INVALID_CURSOR');
    expect((await app.request('/v1/search?key=orgId&value=x', { auth: false })).status).toBe(401);
  });

  it('searches only the queues a client may read, and only its own Idempotency-Keys', async () => {
    const doc = await app.postJson(
      '/v1/queues/ingestion/jobs',
      { data: { ...ingestData('scoped-doc'), orgId: 'T0TEST' } },
      { 'idempotency-key': 'shared-key' },
    );
    const docId = ((await doc.json()) as { id: string }).id;
    const event = await app.postJson('/v1/queues/slack-events/jobs', {
      data: slackEvent('EvScoped'),
    });
    const eventId = ((await event.json()) as { id: string }).id;
    // Unscoped `ci` finds its own key; `other` (who cannot read ingestion) finds nothing there.
    expect((await search('key=idempotencyKey&value=shared-key')).body.jobs).toMatchObject([
      { id: docId, keys: { idempotencyKey: 'shared-key' } },
    ]);
    expect((await search('key=documentId&value=scoped-doc', OTHER_TOKEN)).body.jobs).toEqual([]);
    expect((await search(`key=id&value=${docId}`, OTHER_TOKEN)).body.jobs).toEqual([]);
    const refused = await app.request(
      '/v1/search?key=documentId&value=scoped-doc&queue=ingestion',
      {
        auth: OTHER_TOKEN,
      },
    );
    expect(refused.status).toBe(403);
    expect((await search('key=event_id&value=EvScoped', OTHER_TOKEN)).body.jobs).toMatchObject([
      { id: eventId, queue: 'slack-events' },
    ]);
    // The same key from another client is another key.
    const mine = await app.postJson(
      '/v1/queues/slack-events/jobs',
      { data: slackEvent('EvOther') },
      { 'idempotency-key': 'shared-key' },
    );
    expect(mine.status).toBe(202);
    expect(
      (await search('key=idempotencyKey&value=shared-key', OTHER_TOKEN)).body.jobs.map((j) => j.id),
    ).toEqual([]);
    // Tenant scopes narrow what `other` finds: T0TEST's jobs, not another workspace's.
    await app.postJson('/v1/queues/slack-events/jobs', {
      data: { ...slackEvent('EvElsewhere'), team_id: 'T0ELSEWHERE' },
    });
    expect((await search('key=event_id&value=EvElsewhere')).body.jobs).toHaveLength(1);
    expect((await search('key=event_id&value=EvElsewhere', OTHER_TOKEN)).body.jobs).toEqual([]);
  });
});
