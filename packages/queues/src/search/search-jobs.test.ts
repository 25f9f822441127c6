import { randomUUID } from 'node:crypto';
import {
  auditScriptKeys,
  RedisServer,
  slackObjectShapedEvents,
  slackSamples,
} from '@conveyor/testing';
import { type Job, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectTestQueues, type TestQueues } from '../../test/support/test-queues.js';
import { InvalidSearchCursorError } from '../errors/invalid-search-cursor-error.js';
import { UnknownSearchKeyError } from '../errors/unknown-search-key-error.js';
import type { JobRequest } from '../job-enqueuer.js';
import { searchValuesKey } from '../redis-keys.js';
import { type SearchQuery, searchJobs } from './search-jobs.js';

const ingest = (documentId: string, orgId?: string): JobRequest['data'] => ({
  documentId,
  source: { kind: 'inline', text: 'hello' },
  ...(orgId ? { orgId } : {}),
});

describe('searchJobs', () => {
  let queues: TestQueues;
  const search = (query: SearchQuery) => searchJobs(queues.connection, queues.prefix, query);
  const ids = async (query: SearchQuery) => (await search(query)).jobs.map((job) => job.id);

  beforeAll(async () => {
    queues = await connectTestQueues();
  });
  afterAll(() => queues.close());

  it('finds ingestion jobs by documentId and orgId, newest first, with their keys', async () => {
    const org = `org-${randomUUID()}`;
    const first = await queues.producer.enqueue('ingestion', { data: ingest('doc-a', org) });
    const second = await queues.producer.enqueue('ingestion', { data: ingest('doc-b', org) });
    expect(await ids({ key: 'orgId', value: org })).toEqual([second.id, first.id]);
    const page = await search({ key: 'documentId', value: 'doc-b' });
    expect(page.jobs).toContainEqual({
      queue: 'ingestion',
      id: second.id,
      name: 'ingest',
      state: 'waiting',
      tenant: org,
      keys: { documentId: 'doc-b', orgId: org },
      createdAt: expect.any(String),
      deadLetter: false,
    });
    expect(page.next).toBeUndefined();
  });

  it('finds Slack events, slash commands and interactions by event_id, team_id, channel, user', async () => {
    const team = `T${randomUUID().slice(0, 8)}`;
    const event = await queues.producer.enqueue('slack-events', {
      data: { ...slackSamples.appMention, team_id: team, event_id: `Ev${randomUUID()}` },
    });
    const created = slackObjectShapedEvents.channel_created as { event_id: string };
    const objectShaped = await queues.producer.enqueue('slack-events', {
      data: { ...created, team_id: team, event_id: `Ev${randomUUID()}` },
    });
    const command = await queues.producer.enqueue('slack-events', {
      name: 'slash_command',
      data: { ...slackSamples.slashCommand, team_id: team, trigger_id: `t-${randomUUID()}` },
    });
    const interaction = await queues.producer.enqueue('slack-events', {
      name: 'interaction',
      data: {
        type: 'block_actions',
        user: { id: 'U-INTERACT' },
        team: { id: team },
        channel: { id: 'C-INTERACT' },
        trigger_id: `t-${randomUUID()}`,
      },
    });
    expect(await ids({ key: 'team_id', value: team })).toEqual([
      interaction.id,
      command.id,
      objectShaped.id,
      event.id,
    ]);
    const eventJob = await queues.producer.queue('slack-events').getJob(event.id);
    expect(await ids({ key: 'event_id', value: eventJob?.data.event_id })).toEqual([event.id]);
    const teamPage = await search({ key: 'team_id', value: team });
    const keysOf = (id: string) => teamPage.jobs.find((job) => job.id === id)?.keys;
    expect(keysOf(event.id)).toMatchObject({ channel: 'C123ABC456', user: 'U123ABC456' });
    expect(keysOf(objectShaped.id)).toMatchObject({ channel: 'C024BE91L' });
    expect(keysOf(command.id)).toMatchObject({
      channel: slackSamples.slashCommand.channel_id,
      user: slackSamples.slashCommand.user_id,
    });
    expect(keysOf(interaction.id)).toEqual({
      team_id: team,
      channel: 'C-INTERACT',
      user: 'U-INTERACT',
    });
    expect(await ids({ key: 'user', value: 'U-INTERACT' })).toContain(interaction.id);
    expect(await ids({ key: 'channel', value: 'C-INTERACT', queue: 'slack-events' })).toContain(
      interaction.id,
    );
  });

  it('finds a job by id, by tenant, and by idempotency key only in its own client', async () => {
    const tenant = `tenant-${randomUUID()}`;
    const key = `key-${randomUUID()}`;
    const request = { data: ingest(`doc-${randomUUID()}`), options: { tenant } } as JobRequest;
    const fromA = await queues.producer.enqueue('ingestion', request, {
      idempotencyKey: key,
      client: 'a',
    });
    const fromB = await queues.producer.enqueueBulk('ingestion', [{ data: ingest('b-1') }], {
      idempotencyKey: key,
      client: 'b',
    });
    expect(await ids({ key: 'id', value: fromA.id })).toEqual([fromA.id]);
    const byTenant = await search({ key: 'tenant', value: tenant });
    expect(byTenant.jobs.map((job) => [job.id, job.tenant])).toEqual([[fromA.id, tenant]]);
    const mine = await search({ key: 'idempotencyKey', value: key, client: 'a' });
    expect(mine.jobs.map((job) => job.id)).toEqual([fromA.id]);
    expect(mine.jobs[0]?.keys.idempotencyKey).toBe(key);
    expect(await ids({ key: 'idempotencyKey', value: key, client: 'b' })).toEqual([fromB[0]?.id]);
    expect(await ids({ key: 'idempotencyKey', value: key, client: 'c' })).toEqual([]);
    expect(await ids({ key: 'idempotencyKey', value: key })).toEqual([]);
    // Another client's jobs carry no trace of the key.
    expect((await search({ key: 'tenant', value: tenant })).jobs[0]?.keys).not.toHaveProperty(
      'idempotencyKey',
    );
  });

  it('finds by tenant the jobs whose tenant is their orgId, without a tenant entry', async () => {
    const org = `org-${randomUUID()}`;
    const other = `org-${randomUUID()}`;
    const derived = await queues.producer.enqueue('ingestion', { data: ingest('doc-t1', org) });
    const named = await queues.producer.enqueue('ingestion', {
      data: ingest('doc-t2', other),
      options: { tenant: org },
    });
    // Its orgId is the one searched, its tenant is not: found by orgId, not by tenant.
    const elsewhere = await queues.producer.enqueue('ingestion', {
      data: ingest('doc-t3', org),
      options: { tenant: other },
    });
    const values = searchValuesKey(`${queues.prefix}:ingestion`);
    const tenantEntries = (tenant: string) =>
      queues.connection.zrangebylex(values, `[tenant\0${tenant}\0`, `(tenant\0${tenant}\0:`);
    expect(await tenantEntries(org)).toEqual([expect.stringContaining(named.id)]);
    expect(await tenantEntries(other)).toEqual([expect.stringContaining(elsewhere.id)]);

    const page = await search({ key: 'tenant', value: org });
    expect(page.jobs.map((job) => [job.id, job.tenant])).toEqual([
      [named.id, org],
      [derived.id, org],
    ]);
    expect(await ids({ key: 'tenant', value: other })).toEqual([elsewhere.id]);
    expect(await ids({ key: 'orgId', value: org })).toEqual([elsewhere.id, derived.id]);
    // One page at a time across both kinds of entries, each job once.
    const first = await search({ key: 'tenant', value: org, limit: 1 });
    expect(first.jobs.map((job) => job.id)).toEqual([named.id]);
    const second = await search({ key: 'tenant', value: org, limit: 1, cursor: first.next });
    expect(second.jobs.map((job) => job.id)).toEqual([derived.id]);
    expect(second.next).toBeUndefined();
  });

  it('answers once a job indexed with both a tenant and an orgId entry', async () => {
    const org = `org-${randomUUID()}`;
    const job = await queues.producer.enqueue('ingestion', { data: ingest('doc-both', org) });
    // As an index written before the tenant entry could be implied holds it.
    const values = searchValuesKey(`${queues.prefix}:ingestion`);
    const [orgEntry] = await queues.connection.zrangebylex(
      values,
      `[orgId\0${org}\0`,
      `(orgId\0${org}\0:`,
    );
    const tenantEntry = `tenant${(orgEntry as string).slice('orgId'.length)}`;
    await queues.connection.zadd(values, 0, tenantEntry);
    expect(await ids({ key: 'tenant', value: org })).toEqual([job.id]);
  });

  it('indexes a bulk in its transaction, and a deduplicated job once', async () => {
    const org = `org-${randomUUID()}`;
    const bulk = await queues.producer.enqueueBulk(
      'ingestion',
      Array.from({ length: 30 }, (_, index) => ({ data: ingest(`bulk-${index}`, org) })),
    );
    const found = await search({ key: 'orgId', value: org, limit: 100 });
    expect(found.jobs.map((job) => job.id).sort()).toEqual(bulk.map((job) => job.id).sort());
    const eventId = `Ev${randomUUID()}`;
    const data = { ...slackSamples.appMention, event_id: eventId };
    const first = await queues.producer.enqueue('slack-events', { data });
    const again = await queues.producer.enqueue('slack-events', { data });
    expect(again).toMatchObject({ id: first.id, deduplicated: true });
    expect(await ids({ key: 'event_id', value: eventId })).toEqual([first.id]);
  });

  it('indexes concurrent single enqueues together, each found once its enqueue answered', async () => {
    const org = `org-${randomUUID()}`;
    const stored = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        queues.producer.enqueue('ingestion', { data: ingest(`together-${index}`, org) }),
      ),
    );
    const found = await search({ key: 'orgId', value: org, limit: 100 });
    expect(found.jobs.map((job) => job.id).sort()).toEqual(stored.map((job) => job.id).sort());
  });

  it('pages with a cursor that stays stable while jobs are added', async () => {
    const org = `org-${randomUUID()}`;
    const stored: string[] = [];
    for (let index = 0; index < 25; index += 1) {
      stored.push(
        (await queues.producer.enqueue('ingestion', { data: ingest(`p-${index}`, org) })).id,
      );
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await search({ key: 'orgId', value: org, limit: 10, cursor });
      seen.push(...page.jobs.map((job) => job.id));
      cursor = page.next;
      pages += 1;
      // Newer jobs arrive between pages: they belong before the first page, not in later ones.
      await queues.producer.enqueue('ingestion', { data: ingest(`late-${pages}`, org) });
    } while (cursor !== undefined);
    expect(pages).toBe(3);
    expect(seen).toEqual([...stored].reverse());
  });

  it('narrows to a state', async () => {
    const org = `org-${randomUUID()}`;
    const done = await queues.producer.enqueue('ingestion', { data: ingest('s-done', org) });
    await queues.producer.enqueue('ingestion', {
      data: ingest('s-wait', org),
      options: { delay: 60_000 },
    });
    const queue = queues.producer.queue('ingestion');
    const job = (await queue.getJob(done.id)) as Job;
    const worker = new Worker('ingestion', null, {
      connection: queues.workerConnection,
      prefix: queues.prefix,
    });
    try {
      // Take this job alone (a manual worker), complete it, and look.
      let taken: Job | undefined;
      while (taken?.id !== job.id) {
        taken = await worker.getNextJob('token');
        if (taken && taken.id !== job.id) await taken.moveToDelayed(Date.now() + 60_000, 'token');
      }
      await (taken as Job).moveToCompleted('ok', 'token', false);
    } finally {
      await worker.close();
    }
    const completed = await search({ key: 'orgId', value: org, state: 'completed' });
    expect(completed.jobs.map((each) => [each.id, each.state])).toEqual([[done.id, 'completed']]);
    expect(completed.jobs[0]?.finishedAt).toEqual(expect.any(String));
    const delayed = await search({ key: 'orgId', value: org, state: 'delayed' });
    expect(delayed.jobs.map((each) => each.state)).toEqual(['delayed']);
    expect((await search({ key: 'orgId', value: org, state: 'active' })).jobs).toEqual([]);
  });

  it('finds dead letters with deadLetter true, and the replayed job', async () => {
    const documentId = `dl-${randomUUID()}`;
    const { id } = await queues.producer.enqueue('ingestion', {
      data: ingest(documentId),
      options: { tenant: 'acme' },
    } as JobRequest);
    const job = (await queues.producer.queue('ingestion').getJob(id)) as Job;
    const deadLetters = queues.producer.deadLetters('ingestion');
    const { id: letterId } = await deadLetters.record(job, new Error('upstream said no'), {
      unrecoverable: true,
    });
    const page = await search({ key: 'documentId', value: documentId });
    expect(page.jobs).toContainEqual(
      expect.objectContaining({
        queue: 'ingestion',
        id: letterId,
        originJobId: id,
        deadLetter: true,
        state: 'failed',
        failedReason: 'upstream said no',
        tenant: 'acme',
      }),
    );
    expect((await search({ key: 'id', value: id })).jobs.map((each) => each.deadLetter)).toEqual([
      true,
      false,
    ]);
    const replayed = await queues.producer.replayDeadLetter('ingestion', letterId);
    const after = await search({ key: 'tenant', value: 'acme' });
    expect(after.jobs[0]).toMatchObject({ id: replayed, deadLetter: false, tenant: 'acme' });
    // The dead letter is gone: its entry is skipped and dropped.
    expect(after.jobs.some((each) => each.id === letterId)).toBe(false);
  });

  it("keeps to a caller's tenants", async () => {
    const org = `org-${randomUUID()}`;
    const ofAcme = await queues.producer.enqueue('ingestion', {
      data: ingest('t-acme', org),
      options: { tenant: 'acme' },
    } as JobRequest);
    const ofGlobex = await queues.producer.enqueue('ingestion', {
      data: ingest('t-globex', org),
      options: { tenant: 'globex' },
    } as JobRequest);
    await queues.producer.enqueue('ingestion', { data: ingest('t-none', org) });
    expect(await ids({ key: 'orgId', value: org, tenants: new Set(['acme']) })).toEqual([
      ofAcme.id,
    ]);
    expect(await ids({ key: 'orgId', value: org, tenants: new Set(['acme', 'globex']) })).toEqual([
      ofGlobex.id,
      ofAcme.id,
    ]);
    expect(await ids({ key: 'id', value: ofGlobex.id, tenants: new Set(['acme']) })).toEqual([]);
  });

  it('reads a page of matches in one script call, every key it touches declared', async () => {
    // MONITOR sees every client: a Redis of this test's own.
    const server = await RedisServer.start();
    const own = await connectTestQueues(server.url);
    try {
      const org = `org-${randomUUID()}`;
      const stored = await own.producer.enqueueBulk(
        'ingestion',
        Array.from({ length: 10 }, (_, index) => ({ data: ingest(`audit-${index}`, org) })),
      );
      const first = (await own.producer.queue('ingestion').getJob(stored[0]?.id ?? '')) as Job;
      const letter = await own.producer
        .deadLetters('ingestion')
        .record(first, new Error('no'), { unrecoverable: true });
      // Once before, so that Redis holds the script (a first call is EVALSHA, then EVAL).
      await searchJobs(own.connection, own.prefix, { key: 'orgId', value: org });
      let page: Awaited<ReturnType<typeof searchJobs>> | undefined;
      const audit = await auditScriptKeys(server.url, async () => {
        page = await searchJobs(own.connection, own.prefix, { key: 'orgId', value: org });
      });
      expect(page?.jobs.map((job) => job.id).sort()).toEqual(
        [...stored.map((job) => job.id), letter.id].sort(),
      );
      // The ranges of the queue and its dead letters, then one script for the eleven matches.
      expect(audit.scripts).toBe(1);
      expect(audit.touched).toContain(`${own.prefix}:ingestion:${stored[0]?.id}`);
      expect(audit.undeclared).toEqual([]);
    } finally {
      await own.close();
      await server.stop();
    }
  });

  it('sends the read of a search asked again before its ranges answer', async () => {
    const { connection, prefix } = queues;
    const { log, spy } = recordCommands(connection);
    /** Whether `search`'s read script left before any of its ranges answered. */
    const readsEarly = async (value: string) => {
      log.length = 0;
      const page = await searchJobs(connection, prefix, { key: 'orgId', value });
      const read = log.findIndex((entry) => /^sent eval/.test(entry));
      const ranged = log.indexOf('reply zrevrangebylex');
      expect(read).toBeGreaterThanOrEqual(0);
      expect(ranged).toBeGreaterThanOrEqual(0);
      return { early: read < ranged, ids: page.jobs.map((job) => job.id) };
    };
    try {
      const org = `org-${randomUUID()}`;
      const stored = await queues.producer.enqueueBulk(
        'ingestion',
        Array.from({ length: 3 }, (_, index) => ({ data: ingest(`rt-${index}`, org) })),
      );
      const newestFirst = stored.map((job) => job.id).reverse();
      expect(await readsEarly(org)).toEqual({ early: false, ids: newestFirst });
      await readsEarly(org);
      expect(await readsEarly(org)).toEqual({ early: true, ids: newestFirst });
      // A newer match: the guess is read, found wrong, and the page read as without it.
      const late = await queues.producer.enqueue('ingestion', { data: ingest('rt-late', org) });
      expect((await readsEarly(org)).ids).toEqual([late.id, ...newestFirst]);
      // A job gone (retention): the ranges still pick it, its read says it is gone.
      await queues.producer.queue('ingestion').remove(late.id);
      expect((await readsEarly(org)).ids).toEqual(newestFirst);
    } finally {
      spy.mockRestore();
    }
  });

  it('stops guessing a search whose first match keeps changing', async () => {
    const { connection, prefix } = queues;
    const { log, spy } = recordCommands(connection);
    const org = `org-${randomUUID()}`;
    /** Read scripts sent by one search: one per page, two when a guess was discarded. */
    const scripts = async () => {
      log.length = 0;
      await searchJobs(connection, prefix, { key: 'orgId', value: org });
      return log.filter((entry) => /^sent eval/.test(entry)).length;
    };
    const enqueue = (tag: string) =>
      queues.producer.enqueue('ingestion', { data: ingest(tag, org) });
    try {
      await enqueue('busy-0');
      await scripts();
      await scripts();
      // Guessed and right: one script.
      expect(await scripts()).toBe(1);
      await enqueue('busy-1');
      // Guessed and wrong: the guess's read is discarded, once.
      expect(await scripts()).toBe(2);
      for (const tag of ['busy-2', 'busy-3', 'busy-4']) {
        await enqueue(tag);
        expect(await scripts()).toBe(1);
      }
    } finally {
      spy.mockRestore();
    }
  });

  it('refuses an unknown key, listing the valid ones, and a forged cursor', async () => {
    await expect(search({ key: 'nope', value: 'x' })).rejects.toThrow(UnknownSearchKeyError);
    await expect(search({ key: 'nope', value: 'x' })).rejects.toMatchObject({
      validKeys: expect.arrayContaining(['documentId', 'event_id', 'tenant', 'id']),
    });
    await expect(search({ key: 'event_id', value: 'x', queue: 'ingestion' })).rejects.toThrow(
      UnknownSearchKeyError,
    );
    await expect(search({ key: 'orgId', value: 'x', cursor: 'bm9wZQ' })).rejects.toThrow(
      InvalidSearchCursorError,
    );
    expect(await search({ key: 'orgId', value: 'x'.repeat(300) })).toEqual({ jobs: [] });
  });
});

/** Logs each command of `connection` as it leaves, and as its reply arrives (before its caller resumes). */
function recordCommands(connection: TestQueues['connection']) {
  const log: string[] = [];
  const send = connection.sendCommand.bind(connection);
  type Send = typeof connection.sendCommand;
  const spy = vi
    .spyOn(connection, 'sendCommand')
    .mockImplementation((...args: Parameters<Send>) => {
      const [command] = args;
      log.push(`sent ${command.name}`);
      command.promise.then(
        () => log.push(`reply ${command.name}`),
        () => {},
      );
      return send(command, args[1]);
    });
  return { log, spy };
}
