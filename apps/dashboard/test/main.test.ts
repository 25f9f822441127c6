import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type ChildHandle, getFreePort, spawnProcess, waitForHttp } from '@conveyor/testing';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';

const appDir = fileURLToPath(new URL('..', import.meta.url));
const mainJs = `${appDir}dist/main.js`;
const CREDENTIALS = { DASHBOARD_USERNAME: 'operator', DASHBOARD_PASSWORD: 'correct-horse-battery' };
const AUTHORIZATION = `Basic ${Buffer.from(`${CREDENTIALS.DASHBOARD_USERNAME}:${CREDENTIALS.DASHBOARD_PASSWORD}`).toString('base64')}`;

/** `node dist/main.js` with only the given environment (never the developer's REDIS_* vars). */
function startMain(env: Record<string, string>): ChildHandle {
  return spawnProcess(process.execPath, [mainJs], {
    name: 'dashboard',
    cwd: appDir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
  });
}

async function startServing(): Promise<{ child: ChildHandle; origin: string }> {
  const port = await getFreePort();
  const child = startMain({
    ...CREDENTIALS,
    REDIS_URL: inject('redisUrl'),
    QUEUE_PREFIX: `main-${randomUUID().slice(0, 8)}`,
    HOST: '127.0.0.1',
    PORT: String(port),
  });
  await child.waitForOutput('dashboard listening', 15_000);
  return { child, origin: `http://127.0.0.1:${port}` };
}

describe('main (dist/main.js)', () => {
  const children: ChildHandle[] = [];

  beforeAll(() => {
    if (!existsSync(mainJs)) throw new Error(`${mainJs} is missing: run pnpm build first`);
    const built = statSync(mainJs).mtimeMs;
    const src = `${appDir}src/`;
    const stale = readdirSync(src).filter((file) => statSync(src + file).mtimeMs > built);
    if (stale.length > 0) {
      throw new Error(`dist is older than src (${stale.join(', ')}): run pnpm build first`);
    }
  });
  afterEach(async () => {
    await Promise.all(children.splice(0).map((child) => child.stop(5000)));
  });

  it('exits 1 with one readable message and no stack trace when credentials are missing', async () => {
    const child = startMain({ REDIS_URL: inject('redisUrl') });
    children.push(child);
    const { code } = await child.exited;
    expect(code).toBe(1);
    const output = child.output();
    expect(output).toContain('DASHBOARD_USERNAME');
    expect(output).toContain('DASHBOARD_PASSWORD');
    expect(output).toContain('DASHBOARD_AUTH=off');
    expect(output).not.toMatch(/^\s+at /m);
  });

  it('exits 1 with the reason, not a retry loop, when Redis refuses the credentials', async () => {
    const url = new URL(inject('redisUrl'));
    url.username = 'no-such-user';
    url.password = 'wrong-redis-password';
    const child = startMain({
      ...CREDENTIALS,
      REDIS_URL: url.toString(),
      HOST: '127.0.0.1',
      PORT: String(await getFreePort()),
    });
    children.push(child);
    const { code } = await child.exited;
    expect(code).toBe(1);
    const output = child.output();
    expect(output).toContain('REDIS_AUTH_FAILED');
    expect(output).not.toContain('wrong-redis-password');
  });

  it('serves, and on SIGTERM stops accepting, closes its connections and exits 0', async () => {
    const { child, origin } = await startServing();
    children.push(child);
    await waitForHttp(`${origin}/readyz`, { status: 200 });
    expect((await fetch(`${origin}/`, { headers: { authorization: AUTHORIZATION } })).status).toBe(
      200,
    );
    expect((await fetch(`${origin}/`)).status).toBe(401);

    child.kill('SIGTERM');
    const { code } = await child.exited;
    expect(code).toBe(0);
    expect(child.output()).toContain('"msg":"stopped"');
    await expect(fetch(`${origin}/healthz`)).rejects.toThrow();
  });

  it('exits at once on a second signal during shutdown, with 128 + its number', async () => {
    const { child, origin } = await startServing();
    children.push(child);
    // A request whose body never arrives holds the shutdown open (for DRAIN_MS), so the second
    // signal is sure to come during it, however late the test sends it.
    const held = connect(Number(new URL(origin).port), '127.0.0.1');
    held.on('error', () => {});
    const body = '{"never":"finished"}';
    held.write(
      `POST /console/api/held HTTP/1.1\r\nHost: ${new URL(origin).host}\r\n` +
        `Authorization: ${AUTHORIZATION}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
    );
    expect((await fetch(`${origin}/healthz`)).status).toBe(200);
    child.kill('SIGTERM');
    await child.waitForOutput('shutting down', 5000);
    child.kill('SIGINT');
    const { code } = await child.exited;
    held.destroy();
    expect(code).toBe(130);
    expect(child.output()).toContain('second signal');
  });

  it('starts without credentials when DASHBOARD_AUTH=off is set', async () => {
    const port = await getFreePort();
    const child = startMain({
      DASHBOARD_AUTH: 'off',
      REDIS_URL: inject('redisUrl'),
      HOST: '127.0.0.1',
      PORT: String(port),
    });
    children.push(child);
    await child.waitForOutput('dashboard listening', 15_000);
    expect(child.output()).toContain('DASHBOARD_AUTH=off');
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
  });
});
