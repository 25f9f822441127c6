import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getFreePort, isProcessAlive, spawnProcess, waitFor } from '@conveyor/testing';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('pnpm start (scripts/start.mjs)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'conveyor-start-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts the platform on an embedded Redis, runs a job, and stops with nothing left', async () => {
    const [redisPort, apiPort, dashboardPort, workerPort] = await Promise.all([
      getFreePort(),
      getFreePort(),
      getFreePort(),
      getFreePort(),
    ]);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NO_COLOR: '1',
      CONVEYOR_SKIP_BUILD: '1',
      CONVEYOR_DATA_DIR: dataDir,
      REDIS_PORT: String(redisPort),
      API_PORT: String(apiPort),
      DASHBOARD_PORT: String(dashboardPort),
      WORKER_HTTP_PORT: String(workerPort),
      WORKER_PROCESSES: '2',
    };
    const launcher = spawnProcess('node', ['scripts/start.mjs'], { name: 'start', env, cwd: root });
    try {
      await launcher.waitForOutput('Conveyor is running', 90_000);
      const output = launcher.output();
      const token = /API token\s+(\S+)/.exec(output)?.[1];
      expect(token).toMatch(/^[0-9a-f]{48}$/);
      expect(output).toContain(`http://localhost:${apiPort}`);
      expect(output).toMatch(/Dashboard\s+http:\/\/localhost:\d+\s+user admin\s+password \S{12,}/);
      expect(output).toContain('x-slack-signature');

      const api = `http://localhost:${apiPort}`;
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const created = await fetch(`${api}/v1/queues/ingestion/jobs`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          data: {
            documentId: 'start-e2e',
            source: { kind: 'inline', text: 'Hello from the e2e test.' },
          },
        }),
      });
      expect(created.status).toBe(202);
      const { id } = (await created.json()) as { id: string };
      const job = await waitFor(
        async () => {
          const response = await fetch(`${api}/v1/queues/ingestion/jobs/${id}`, { headers });
          const body = (await response.json()) as {
            state: string;
            returnValue?: { chunks: number };
          };
          return body.state === 'completed' ? body : undefined;
        },
        { timeoutMs: 30_000, description: 'the ingestion job to complete' },
      );
      expect(job.returnValue?.chunks).toBe(1);

      // The banner's commands work as pasted, and pasting the Slack one twice stores two events.
      const exportLine = /^\s*(export TOKEN=.*)$/m.exec(output)?.[1];
      expect(exportLine).toBe(`export TOKEN=${token} API=${api}`);
      const slackCommand = /Send a signed Slack test event.*\n((?:.*\\\n)*.*)/.exec(output)?.[1];
      expect(slackCommand).toBeDefined();
      const pasted = [1, 2].map(() => {
        const run = spawnSync('bash', ['-c', `${exportLine}\n${slackCommand}`], {
          encoding: 'utf8',
        });
        expect(run.status, run.stderr).toBe(0);
        return JSON.parse(run.stdout) as { ok: boolean; id: string; deduplicated: boolean };
      });
      expect(pasted.map((answer) => answer.deduplicated)).toEqual([false, false]);
      expect(pasted[0]?.id).not.toBe(pasted[1]?.id);

      const pids = [...launcher.output().matchAll(/started \(pid (\d+)\)/g)].map((m) =>
        Number(m[1]),
      );
      expect(pids.length).toBe(5); // redis, api, 2 workers, dashboard
      launcher.kill('SIGINT');
      const exit = await launcher.exited;
      expect(exit.code).toBe(0);
      expect(launcher.output()).toContain('stopped');
      expect(pids.filter(isProcessAlive)).toEqual([]);
    } finally {
      await launcher.stop();
    }
  });

  it('refuses the placeholder secrets of .env.example and names them', async () => {
    const launcher = spawnProcess('node', ['scripts/start.mjs'], {
      name: 'start-placeholders',
      cwd: root,
      env: {
        PATH: process.env.PATH,
        NO_COLOR: '1',
        CONVEYOR_SKIP_BUILD: '1',
        CONVEYOR_DATA_DIR: dataDir,
        API_TOKENS: 'local:change-me-to-a-long-random-secret',
        DASHBOARD_PASSWORD: 'change-me-dashboard-password',
        SLACK_SIGNING_SECRET: 'a-real-secret-of-some-length',
      },
    });
    const exit = await launcher.exited;
    expect(exit.code).toBe(1);
    expect(launcher.output()).toContain(
      'API_TOKENS, DASHBOARD_PASSWORD still hold the placeholder from .env.example',
    );
    expect(launcher.output()).not.toContain('started (pid');
  });
});
