import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deadLetterQueueName, QUEUE_NAMES } from '@conveyor/queues';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadLetterDisplayName } from '../src/create-board-queues.js';
import { addFailedJob } from './support/add-failed-job.js';
import { launchChromium, type TestBrowser } from './support/launch-chromium.js';
import { FIRST_ATTEMPT_ERROR, type FlakyWorker } from './support/start-flaky-worker.js';
import { startTestDashboard, type TestDashboard } from './support/start-test-dashboard.js';
import { waitForJobState } from './support/wait-for-job-state.js';

const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));

/**
 * Another site: a page on `localhost` (the dashboard is on `127.0.0.1`, so this is cross-site, not
 * only cross-origin) that auto-submits a `text/plain` form whose body reads as JSON, the classic
 * way around a JSON-only API, to the dashboard's "add job" endpoint.
 */
async function startForgingSite(addUrl: string): Promise<{ url: string; server: Server }> {
  const page = `<!doctype html><html><body>
<form method="POST" enctype="text/plain" action="${addUrl}">
<input type="hidden" name='{"name":"forged","data":{"from":"' value='elsewhere"}}'>
</form>
<script>document.forms[0].submit();</script>
</body></html>`;
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://localhost:${(server.address() as AddressInfo).port}/`, server };
}

describe('dashboard in headless Chromium', () => {
  let dashboard: TestDashboard;
  let browser: TestBrowser;
  let context: BrowserContext;
  let worker: FlakyWorker | undefined;
  let forgingSite: { url: string; server: Server };
  /** Uncaught page errors and Content Security Policy violations: the page must have none. */
  const pageProblems: string[] = [];

  async function openPage(): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) pageProblems.push(message.text());
    });
    return page;
  }

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    dashboard = await startTestDashboard();
    forgingSite = await startForgingSite(
      `${dashboard.deadLetterBoardUrl}api/queues/${deadLetterQueueName('ingestion')}/add`,
    );
    browser = await launchChromium(dashboard.origin, [
      dashboard.origin,
      new URL(forgingSite.url).origin,
    ]);
    context = browser.context;
  }, 45_000);

  afterAll(async () => {
    await browser?.close();
    await worker?.close();
    await dashboard?.close();
    await new Promise((resolve) => (forgingSite ? forgingSite.server.close(resolve) : resolve(0)));
  });

  it('logs in and lists the catalog queues, and their dead letters on a board of their own', async () => {
    const page = await openPage();
    const response = await page.goto(dashboard.boardUrl);
    expect(response?.status()).toBe(200);
    expect(await page.title()).toBe('Conveyor');
    const sidebar = page.locator('aside');
    for (const name of QUEUE_NAMES) {
      await sidebar.getByRole('link', { name, exact: true }).waitFor({ state: 'visible' });
    }
    expect(await sidebar.getByRole('link', { name: /dead-letters/ }).count()).toBe(0);
    // A catalog queue that no worker consumes here is flagged, as it should be.
    await page.getByText('No workers').first().waitFor();

    expect((await page.goto(dashboard.deadLetterBoardUrl))?.status()).toBe(200);
    expect(await page.title()).toBe('Conveyor · dead letters');
    // The overview's cards title dead-letter queues as such, and none says "No workers".
    const overview = page.locator('main');
    for (const name of QUEUE_NAMES) {
      const title = deadLetterDisplayName(name);
      await overview.getByRole('link', { name: title, exact: true }).waitFor({ state: 'visible' });
    }
    expect(await page.getByText('No workers').count()).toBe(0);
    await page.close();
    // Bull Board's typefaces came from the dashboard, like everything else.
    expect(browser.requests.filter((url) => !url.startsWith(dashboard.origin))).toEqual([]);
    expect(browser.requests.some((url) => url.includes('/fonts/ibm-plex-sans/'))).toBe(true);
  });

  it('opens a failed job, retries it from the UI, and the job then completes', async () => {
    const queue = dashboard.queue('ingestion');
    const failed = await addFailedJob(queue, dashboard.redisConfig);
    worker = failed.worker;

    const page = await openPage();
    await page.goto(dashboard.boardUrl);
    await page.locator('aside').getByRole('link', { name: 'ingestion', exact: true }).click();
    await page.getByRole('link', { name: /^failed/i }).click();
    await page.locator(`a[href*="queue/ingestion/${failed.jobId}"]`).click();
    await page.getByText(FIRST_ATTEMPT_ERROR).first().waitFor({ state: 'visible' });
    await page.screenshot({ path: join(ARTIFACTS, 'failed-job.png') });

    await clickButtonWithTooltip(page, 'Retry');
    await page.getByRole('alertdialog').getByRole('button', { name: 'Confirm' }).click();

    await waitForJobState(queue, failed.jobId, 'completed', 15_000);
    expect((await queue.getJob(failed.jobId))?.returnvalue).toEqual({ attempt: 2 });

    await page.goto(dashboard.boardUrl);
    // The overview has rendered its queue cards and counts the job as completed.
    const overview = page.locator('main');
    await overview.getByRole('link', { name: 'ingestion', exact: true }).waitFor();
    await overview.getByRole('link', { name: /^completed\s*1$/i }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png') });
    await page.close();
    expect(pageProblems).toEqual([]);
  }, 45_000);

  it("refuses a cross-site form posted with the operator's login; the board's own calls pass", async () => {
    const deadLetters = dashboard.queue(deadLetterQueueName('ingestion'));
    const addUrl = `${dashboard.deadLetterBoardUrl}api/queues/${deadLetters.name}/add`;
    const stored = () => deadLetters.getJobCountByTypes('waiting', 'delayed', 'prioritized');
    // Not openPage(): the forged form's 403 is expected, not a problem of the board's page.
    const page = await context.newPage();
    // The operator is logged in: the browser holds the dashboard's credentials.
    expect((await page.goto(dashboard.boardUrl))?.status()).toBe(200);

    const forged = page.waitForResponse((response) => response.url() === addUrl);
    await page.goto(forgingSite.url);
    const answer = await forged;
    expect(answer.request().method()).toBe('POST');
    expect(answer.status()).toBe(403);
    expect(await stored()).toBe(0);
    // Chromium itself said where the form came from.
    expect(dashboard.logs()).toContain('"reason":"Sec-Fetch-Site is cross-site"');

    // The board's own page may still add a job, as its "Add job" dialog does.
    await page.goto(dashboard.boardUrl);
    const status = await page.evaluate(async (url) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'from-the-board', data: { note: 'same origin' } }),
      });
      return response.status;
    }, addUrl);
    expect(status).toBe(200);
    expect(await stored()).toBe(1);
    await page.close();
  }, 30_000);
});

/**
 * Bull Board's job actions are icon buttons whose only label is a tooltip shown on hover; hover
 * each tooltip trigger until the wanted label shows, then click that button.
 */
async function clickButtonWithTooltip(page: Page, label: string): Promise<void> {
  const buttons = page.locator('[data-base-ui-tooltip-trigger] button');
  const tooltip = page.getByText(label, { exact: true });
  const count = await buttons.count();
  for (let index = 0; index < count; index++) {
    const button = buttons.nth(index);
    if (!(await button.isVisible())) continue;
    await button.hover();
    const shown = await tooltip.waitFor({ state: 'visible', timeout: 1500 }).then(
      () => true,
      () => false,
    );
    if (shown) {
      await button.click();
      return;
    }
  }
  throw new Error(`no button with the tooltip "${label}" among ${count} tooltip triggers`);
}
