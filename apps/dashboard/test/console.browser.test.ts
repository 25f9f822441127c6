import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { DeadLetterQueue, deadLetterQueueName, limitTenant } from '@conveyor/queues';
import { closeRedisConnection, createRedisConnection, waitUntilReady } from '@conveyor/redis';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INGEST_DATA } from './support/add-failed-job.js';
import { launchChromium, type TestBrowser } from './support/launch-chromium.js';
import { type FlakyWorker, startFlakyWorker } from './support/start-flaky-worker.js';
import { startTestDashboard, type TestDashboard } from './support/start-test-dashboard.js';
import { waitForJobState } from './support/wait-for-job-state.js';

/**
 * Where the screenshots go: the README's images with `UPDATE_SCREENSHOTS=1`, else the ignored
 * test artifacts (a test run leaves the work tree as it was).
 */
const IMAGES = fileURLToPath(
  new URL(
    process.env.UPDATE_SCREENSHOTS === '1' ? '../../../docs/images/' : '../test-artifacts/',
    import.meta.url,
  ),
);

/**
 * Makes dead letters of `ingestion` the way a worker does: a job whose only attempt fails (the
 * flaky worker fails the first attempt of each document), recorded by `DeadLetterQueue`. Returns
 * the dead letters' ids.
 */
async function addDeadLetters(
  dashboard: TestDashboard,
  documents: { documentId: string; orgId?: string }[],
): Promise<string[]> {
  const queue = dashboard.queue('ingestion');
  const connection = createRedisConnection(dashboard.redisConfig, 'admin');
  const deadLetters = new DeadLetterQueue('ingestion', {
    connection,
    prefix: dashboard.redisConfig.prefix,
  });
  try {
    const ids: string[] = [];
    for (const document of documents) {
      const job = await queue.add('ingest', { ...INGEST_DATA, ...document }, { attempts: 1 });
      await waitForJobState(queue, String(job.id), 'failed');
      const failed = await queue.getJob(String(job.id));
      if (!failed) throw new Error(`job ${job.id} is gone`);
      ids.push((await deadLetters.recordFailed(failed)).id);
    }
    return ids;
  } finally {
    await deadLetters.close();
    await closeRedisConnection(connection);
  }
}

/** Another site whose page posts a replay to the console with the operator's cached login. */
async function startForgingSite(replayUrl: string): Promise<{ url: string; server: Server }> {
  const page = `<!doctype html><html><body>
<form method="POST" enctype="text/plain" action="${replayUrl}">
<input type="hidden" name='{"ids":["x' value='"]}'>
</form>
<script>document.forms[0].submit();</script>
</body></html>`;
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://localhost:${(server.address() as AddressInfo).port}/`, server };
}

/** Status and error code of a POST sent by the page itself, with or without the console header. */
function postFromPage(page: Page, url: string, body: unknown, consoleHeader: boolean) {
  return page.evaluate(
    async ({ url, body, consoleHeader }) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (consoleHeader) headers['x-conveyor-console'] = '1';
      const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
      const json = (await response.json()) as { error?: { code: string } };
      return { status: response.status, code: json.error?.code };
    },
    { url, body, consoleHeader },
  );
}

describe('console in headless Chromium', () => {
  let dashboard: TestDashboard;
  let browser: TestBrowser;
  let worker: FlakyWorker;
  let forgingSite: { url: string; server: Server };
  const pageProblems: string[] = [];

  async function openConsole(): Promise<Page> {
    const page = await browser.context.newPage();
    page.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') pageProblems.push(message.text());
    });
    expect((await page.goto(dashboard.consoleUrl))?.status()).toBe(200);
    await page.getByRole('status').filter({ hasText: 'live' }).waitFor();
    await page.locator('#dead-letter-queue').selectOption('ingestion');
    return page;
  }

  beforeAll(async () => {
    await mkdir(IMAGES, { recursive: true });
    dashboard = await startTestDashboard();
    // Keyed by document: a dead letter's first attempt failed, its replay completes.
    worker = startFlakyWorker('ingestion', dashboard.redisConfig, (job) =>
      String((job.data as { documentId: string }).documentId),
    );
    forgingSite = await startForgingSite(
      `${dashboard.consoleUrl}api/queues/ingestion/dead-letters/replay`,
    );
    browser = await launchChromium(dashboard.origin, [
      dashboard.origin,
      new URL(forgingSite.url).origin,
    ]);
  }, 45_000);

  afterAll(async () => {
    await browser?.close();
    await worker?.close();
    await dashboard?.close();
    await new Promise((resolve) => (forgingSite ? forgingSite.server.close(resolve) : resolve(0)));
  });

  it('replays a dead letter and shows its job complete, without a reload', async () => {
    const [deadLetterId] = await addDeadLetters(dashboard, [{ documentId: 'doc-console-replay' }]);
    const page = await openConsole();
    let loads = 0;
    page.on('load', () => loads++);

    const row = page.locator(`tr[data-dead-letter="${deadLetterId}"]`);
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain('first attempt fails on purpose');
    await row.getByRole('button', { name: `Replay dead letter ${deadLetterId}` }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog.textContent()).resolves.toContain('Replay 1 dead letter onto ingestion?');
    await dialog.getByRole('button', { name: 'Replay 1' }).click();

    await page.getByText('Replayed 1 of 1 dead letter.').waitFor();
    const activity = page.locator('#activity li').first();
    await activity.getByText('completed', { exact: true }).waitFor({ timeout: 20_000 });
    await row.waitFor({ state: 'detached' });
    // The counts followed from the event stream: a completed job, no dead letter left.
    const card = page.locator('article[data-queue="ingestion"]');
    await card.locator('[data-count="deadLetters"]', { hasText: /^0$/ }).waitFor();
    await card.locator('[data-count="completed"]', { hasText: /^1$/ }).waitFor();
    expect(loads).toBe(0);
    await page.screenshot({ path: `${IMAGES}console.png`, fullPage: true });
    await page.close();
    expect(pageProblems).toEqual([]);
  }, 60_000);

  it('replays the selected dead letters after a confirmation, with a count', async () => {
    const ids = await addDeadLetters(dashboard, [
      { documentId: 'doc-bulk-1' },
      { documentId: 'doc-bulk-2' },
      { documentId: 'doc-bulk-3' },
    ]);
    const page = await openConsole();
    for (const id of ids.slice(0, 2)) {
      await page.getByRole('checkbox', { name: `Select dead letter ${id}` }).check();
    }
    await page.getByRole('button', { name: 'Replay selected (2)' }).click();
    await page.screenshot({ path: `${IMAGES}console-replay-confirm.png` });
    await page.getByRole('dialog').getByRole('button', { name: 'Replay 2' }).click();
    await page.getByText('Replayed 2 of 2 dead letters.').waitFor();
    const deadLetters = dashboard.queue(deadLetterQueueName('ingestion'));
    expect((await deadLetters.getJobs(['wait'])).map((job) => job.id)).toEqual([ids[2]]);
    await page.locator('#activity li', { hasText: 'completed' }).nth(1).waitFor();
    // Going back changes nothing.
    await page.getByRole('checkbox', { name: `Select dead letter ${ids[2]}` }).check();
    await page.getByRole('button', { name: 'Replay selected (1)' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Go back' }).click();
    expect(await deadLetters.getWaitingCount()).toBe(1);
    await page.close();
    expect(pageProblems).toEqual([]);
  }, 60_000);

  it('finds a job by its documentId and opens it in Bull Board', async () => {
    const documentId = `doc-search-${Date.now()}`;
    const { id } = await dashboard.producer.enqueue('ingestion', {
      data: { ...INGEST_DATA, documentId },
    });
    const page = await openConsole();
    await page.getByLabel('Key').fill('documentId');
    await page.getByLabel('Value').fill(documentId);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText(`1 job with documentId = ${documentId}.`).waitFor();
    await page.screenshot({ path: `${IMAGES}console-search.png` });
    await page
      .locator(`#search-results tr[data-result="ingestion/${id}"]`)
      .getByRole('link', { name: id, exact: true })
      .click();
    await page.waitForURL(`${dashboard.boardUrl}queue/ingestion/${id}`);
    await page.getByText(documentId).first().waitFor();
    await page.close();
    expect(pageProblems).toEqual([]);
  }, 60_000);

  it("replays every dead letter among a search's matches, after a confirmation, with a count", async () => {
    const orgId = `org-${Date.now()}`;
    const ids = await addDeadLetters(dashboard, [
      { documentId: `${orgId}-a`, orgId },
      { documentId: `${orgId}-b`, orgId },
      { documentId: `${orgId}-c`, orgId },
      { documentId: `${orgId}-other`, orgId: `${orgId}-other` },
    ]);
    const page = await openConsole();
    await page.getByLabel('Key').fill('orgId');
    await page.getByLabel('Value').fill(orgId);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText(`3 jobs with orgId = ${orgId}.`).waitFor();
    await page.getByRole('button', { name: /Replay all dead letters that match/ }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Replay all' }).click();
    await page.getByText('Replayed 3 of 3 dead letters that match.').waitFor();
    const deadLetters = dashboard.queue(deadLetterQueueName('ingestion'));
    const left = (await deadLetters.getJobs(['wait'])).map((job) => job.id);
    expect(left).toContain(ids[3]);
    for (const id of ids.slice(0, 3)) expect(left).not.toContain(id);
    await page.locator('#activity li', { hasText: 'completed' }).nth(2).waitFor();
    await page.close();
    expect(pageProblems).toEqual([]);
  }, 60_000);

  it('cancels a waiting job from the page', async () => {
    // No worker consumes slack-events here: the job waits.
    const queue = dashboard.queue('slack-events');
    const job = await queue.add('event', { note: 'to cancel' });
    const id = String(job.id);
    const page = await openConsole();
    await page.locator('#jobs-queue').selectOption('slack-events');
    await page.getByLabel('State').selectOption('waiting');
    await page.getByRole('button', { name: `Cancel job ${id}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel job' }).click();
    await page.getByText(`Cancelled job ${id}.`).waitFor();
    expect(await queue.getJob(id)).toBeUndefined();
    await page.close();
    expect(pageProblems).toEqual([]);
  });

  it('refuses a replay posted from another site, or without the console header', async () => {
    const deadLetters = dashboard.queue(deadLetterQueueName('ingestion'));
    const before = await deadLetters.getWaitingCount();
    const page = await browser.context.newPage();
    expect((await page.goto(dashboard.consoleUrl))?.status()).toBe(200);
    const replayUrl = `${dashboard.consoleUrl}api/queues/ingestion/dead-letters/replay`;
    const forged = page.waitForResponse((response) => response.url() === replayUrl);
    await page.goto(forgingSite.url);
    expect((await forged).status()).toBe(403);

    await page.goto(dashboard.consoleUrl);
    const [id] = (await deadLetters.getJobs(['wait'])).map((job) => String(job.id));
    expect(await postFromPage(page, replayUrl, { ids: [id] }, false)).toEqual({
      status: 403,
      code: 'CONSOLE_HEADER_MISSING',
    });
    expect(await deadLetters.getWaitingCount()).toBe(before);
    await page.close();
  });

  it('loads nothing from outside the dashboard', () => {
    const outside = browser.requests.filter(
      (url) => !url.startsWith(dashboard.origin) && !url.startsWith(forgingSite.url),
    );
    expect(outside).toEqual([]);
    expect(browser.requests).toContain(
      `${dashboard.consoleUrl}vendor/uplot/dist/uPlot.iife.min.js`,
    );
  });
});

describe('console in read-only mode', () => {
  let dashboard: TestDashboard;
  let browser: TestBrowser;

  beforeAll(async () => {
    dashboard = await startTestDashboard({ DASHBOARD_READ_ONLY: 'true' });
    browser = await launchChromium(dashboard.origin);
  }, 45_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
  });

  it('shows no replay or cancel control, and the endpoints answer 403', async () => {
    const deadLetters = dashboard.queue(deadLetterQueueName('ingestion'));
    const letter = await deadLetters.add('ingest', {
      queue: 'ingestion',
      jobId: '1',
      name: 'ingest',
      data: INGEST_DATA,
      failedReason: 'it broke',
      stacktrace: [],
      attemptsMade: 3,
      unrecoverable: false,
      reason: 'failed',
      failedAt: new Date().toISOString(),
    });
    const waiting = await dashboard.queue('slack-events').add('event', { note: 'stays' });

    const page = await browser.context.newPage();
    expect((await page.goto(dashboard.consoleUrl))?.status()).toBe(200);
    await page.getByText('read-only', { exact: true }).waitFor();
    await page.locator('#dead-letter-queue').selectOption('ingestion');
    await page.locator(`tr[data-dead-letter="${letter.id}"]`).getByText('it broke').waitFor();
    await page.locator('#jobs-queue').selectOption('slack-events');
    await page.getByLabel('State').selectOption('waiting');
    await page.locator(`tr[data-job-id="${waiting.id}"]`).waitFor();
    await page.screenshot({ path: `${IMAGES}console-read-only.png`, fullPage: true });
    expect(await page.getByRole('button', { name: /replay|cancel/i }).count()).toBe(0);
    expect(await page.getByRole('checkbox').count()).toBe(0);

    const base = `${dashboard.consoleUrl}api/queues`;
    expect(
      await postFromPage(page, `${base}/ingestion/dead-letters/replay`, { ids: [letter.id] }, true),
    ).toEqual({ status: 403, code: 'READ_ONLY' });
    expect(
      await postFromPage(page, `${base}/slack-events/jobs/${waiting.id}/cancel`, {}, true),
    ).toEqual({ status: 403, code: 'READ_ONLY' });
    expect(await deadLetters.getWaitingCount()).toBe(1);
    expect(await dashboard.queue('slack-events').getJobState(String(waiting.id))).toBe('waiting');
    await page.close();
    expect(browser.requests.filter((url) => !url.startsWith(dashboard.origin))).toEqual([]);
  });

  it('lists the tenants of a queue with their backlog, running jobs and limit', async () => {
    // No worker here: the jobs wait, in their tenants' turns (ingestion's tenant is its orgId).
    for (const orgId of ['acme', 'acme', 'acme', 'globex']) {
      await dashboard.producer.enqueue('ingestion', {
        data: { ...INGEST_DATA, documentId: `doc-${orgId}-${Math.random()}`, orgId },
      });
    }
    const connection = createRedisConnection(dashboard.redisConfig, 'admin');
    await waitUntilReady(connection, 5000);
    const limitedUntil = await limitTenant(
      connection,
      dashboard.queue('ingestion'),
      'globex',
      60_000,
    );
    await closeRedisConnection(connection);

    const page = await browser.context.newPage();
    expect((await page.goto(dashboard.consoleUrl))?.status()).toBe(200);
    await page.locator('#tenants-queue').selectOption('ingestion');
    const acme = page.locator('#tenants tr[data-tenant="acme"]');
    await acme.waitFor();
    expect(await acme.locator('td').allTextContents()).toEqual(['acme', '3', '0', '']);
    const globex = page.locator('#tenants tr[data-tenant="globex"]');
    const cells = await globex.locator('td').allTextContents();
    expect(cells.slice(0, 3)).toEqual(['globex', '1', '0']);
    expect(cells[3]).toBe(
      await page.evaluate((time) => new Date(time).toLocaleString(), limitedUntil),
    );
    await page.locator('#tenants-section').screenshot({ path: `${IMAGES}console-tenants.png` });
    // Largest backlog first.
    expect(
      await page
        .locator('#tenants tr[data-tenant]')
        .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-tenant'))),
    ).toEqual(['acme', 'globex']);
    await page.close();
  });
});
