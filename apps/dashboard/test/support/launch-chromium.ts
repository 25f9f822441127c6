import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { TEST_CREDENTIALS } from './start-test-dashboard.js';

/** Debian's Chromium; playwright-core never downloads a browser of its own here. */
const CHROMIUM = '/usr/bin/chromium';
/**
 * Without the background-networking flags Chromium dials Google services at start, and this
 * machine's closed network refuses its connections.
 */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A headless Chromium profile logged in to a dashboard; see {@link launchChromium}. */
export interface TestBrowser {
  context: BrowserContext;
  /** Every URL the browser asked for, in order (aborted ones included). */
  requests: string[];
  close(): Promise<void>;
}

/**
 * Starts headless Chromium with a fresh profile that answers the dashboard's Basic auth
 * challenge (as an operator typing into the login prompt would), records every request, and
 * lets only the `reachable` origins through: anything else fails at once instead of waiting on
 * the closed network.
 */
export async function launchChromium(
  dashboardOrigin: string,
  reachable: readonly string[] = [dashboardOrigin],
): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}; the dashboard's browser tests need it. Install it with \`apt-get install chromium\` (.ci/run does this on CI).`,
    );
  }
  const userDataDir = await mkdtemp(join(tmpdir(), 'conveyor-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    httpCredentials: { ...TEST_CREDENTIALS, origin: dashboardOrigin },
    viewport: { width: 1400, height: 900 },
    timeout: 20_000,
  });
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  const allowed = new Set(reachable);
  const requests: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    requests.push(url);
    return allowed.has(new URL(url).origin) ? route.continue() : route.abort();
  });
  return {
    context,
    requests,
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}
