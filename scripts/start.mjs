#!/usr/bin/env node
/**
 * `pnpm start`: the whole platform on one machine.
 *
 * Responsibilities:
 * - build what is stale (turbo caches the rest);
 * - without REDIS_URL/REDIS_HOST/REDIS_SENTINELS/REDIS_CLUSTER_NODES, run an embedded
 *   `redis-server` with the project's redis.conf and a data folder inside the checkout;
 * - generate an API token, a dashboard password and a Slack signing secret when unset (kept in
 *   the data folder so they survive restarts) and print them with ready-to-paste curl commands;
 * - start the API, WORKER_PROCESSES workers and the dashboard with prefixed, readable logs;
 * - on Ctrl-C stop them in order (API stops accepting, workers drain, dashboard, Redis last) and
 *   leave no process behind; a second Ctrl-C kills everything at once.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { serviceCommand } from './services.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
if (existsSync(join(root, '.env'))) process.loadEnvFile(join(root, '.env'));
const env = process.env;
const dataDir = resolve(root, env.CONVEYOR_DATA_DIR ?? '.data');
const color = process.stdout.isTTY && !env.NO_COLOR;
const paint = (code, text) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
const say = (text) => process.stdout.write(`${paint('1;36', '[conveyor]')} ${text}\n`);
const fail = (text) => {
  process.stderr.write(`${paint('1;31', '[conveyor]')} ${text}\n`);
  process.exit(1);
};

/** Resolves true when nothing listens on the port. */
function isPortFree(port) {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () =>
      server.close(() => done(true)),
    );
  });
}

/**
 * Port, binary and wait helpers from the workspace's `@conveyor/testing` (a development
 * dependency, as is this launcher): imported once its `dist/` is built.
 */
let helpers;

/** The preferred port, or a free one when it is taken (told to the user). */
async function pickPort(preferred, what) {
  if (await isPortFree(preferred)) return preferred;
  const port = await helpers.getFreePort();
  say(`port ${preferred} is taken, ${what} uses ${port}`);
  return port;
}

function redisPing(port, password, timeoutMs = 500) {
  return new Promise((done) => {
    const socket = new Socket();
    const finish = (ok) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('error', () => finish(false));
    const auth = password ? `AUTH ${JSON.stringify(password)}\r\n` : '';
    socket.connect(port, '127.0.0.1', () => socket.write(`${auth}PING\r\n`));
    let reply = '';
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('+PONG')) finish(true);
      else if (reply.startsWith('-') || reply.includes('\r\n-')) finish(false);
    });
  });
}

const waitUntil = (check, timeoutMs, what) =>
  helpers.waitFor(check, { timeoutMs, intervalMs: 100, description: what });

const httpOk = (url) => () =>
  fetch(url, { signal: AbortSignal.timeout(1000) }).then(
    (response) => response.ok,
    () => false,
  );

/** Secrets generated once per data folder, so printed commands keep working across restarts. */
function loadCredentials() {
  const file = join(dataDir, 'credentials.json');
  let saved = {};
  if (existsSync(file)) saved = JSON.parse(readFileSync(file, 'utf8'));
  const generated = {
    apiToken: saved.apiToken ?? randomBytes(24).toString('hex'),
    dashboardPassword: saved.dashboardPassword ?? randomBytes(12).toString('base64url'),
    slackSigningSecret: saved.slackSigningSecret ?? randomBytes(16).toString('hex'),
  };
  writeFileSync(file, `${JSON.stringify(generated, null, 2)}\n`, { mode: 0o600 });
  return generated;
}

const LEVEL_COLORS = {
  trace: '90',
  debug: '90',
  info: '32',
  warn: '33',
  error: '31',
  fatal: '1;31',
};
const SKIP_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'v']);

/** One pino JSON line as `12:00:00 [api] INFO message key=value`; other lines as they are. */
function formatLine(label, line) {
  let record;
  try {
    record = JSON.parse(line);
  } catch {
    return `${paint('2', label)} ${line}`;
  }
  if (typeof record !== 'object' || record === null) return `${paint('2', label)} ${line}`;
  const time = typeof record.time === 'string' ? record.time.slice(11, 19) : '';
  const level = String(record.level ?? 'info');
  const fields = Object.entries(record)
    .filter(([key]) => !SKIP_FIELDS.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : value}`)
    .join(' ');
  return `${paint('2', time)} ${paint('35', label)} ${paint(LEVEL_COLORS[level] ?? '0', level.toUpperCase())} ${record.msg ?? ''} ${paint('2', fields)}`;
}

const children = [];
let stopping = false;

function startChild(label, command, args, childEnv) {
  // Own process group: a terminal's Ctrl-C reaches only this launcher, which then stops the
  // children in order (Redis must outlive the workers that are draining into it).
  const child = spawn(command, args, {
    cwd: root,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const entry = { label, child, exited: new Promise((done) => child.once('exit', done)) };
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) =>
      process.stdout.write(`${formatLine(label.padEnd(10), line)}\n`),
    );
  }
  child.once('exit', (code, signal) => {
    if (stopping) return;
    say(`${label} exited unexpectedly (${signal ?? `code ${code}`}); stopping everything`);
    shutdown(1);
  });
  children.push(entry);
  say(`${label} started (pid ${child.pid})`);
  return entry;
}

async function stopChild(entry, timeoutMs) {
  if (entry.child.exitCode !== null || entry.child.signalCode !== null) return;
  entry.child.kill('SIGTERM');
  const timer = setTimeout(() => entry.child.kill('SIGKILL'), timeoutMs);
  await entry.exited;
  clearTimeout(timer);
}

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  say('stopping: API, then workers (draining), then dashboard, then Redis');
  const order = ['api', 'worker', 'dashboard', 'redis'];
  for (const kind of order) {
    const group = children.filter((entry) => entry.label.startsWith(kind));
    await Promise.all(group.map((entry) => stopChild(entry, kind === 'worker' ? 35_000 : 15_000)));
  }
  say('stopped');
  process.exit(code);
}

/**
 * Values that `.env.example` ships as placeholders. Running on them would put secrets that
 * anyone can read in the repository in front of a server listening on every interface.
 */
const PLACEHOLDER = /^change-me/i;
const SECRET_VARIABLES = [
  'API_TOKENS',
  'SLACK_SIGNING_SECRET',
  'SLACK_CLIENT_SECRET',
  'DASHBOARD_PASSWORD',
  'REDIS_PASSWORD',
];

function refusePlaceholderSecrets() {
  const placeholders = SECRET_VARIABLES.filter((name) =>
    (env[name] ?? '').split(',').some((value) => PLACEHOLDER.test(value.split(':').at(-1) ?? '')),
  );
  if (placeholders.length === 0) return;
  fail(
    `${placeholders.join(', ')} still hold the placeholder from .env.example.\n` +
      '  Replace each with a real secret, or delete the line: pnpm start then generates one,\n' +
      `  keeps it in ${join(dataDir, 'credentials.json')} and prints it.`,
  );
}

/** Builds what is stale, one line per package as turbo reaches it, so a first build is not silent. */
async function build() {
  say("building (the first build takes about a minute; later ones reuse turbo's cache)...");
  const started = Date.now();
  const child = spawn('pnpm', ['exec', 'turbo', 'run', 'build', '--output-logs=hash-only'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      output.push(line);
      const task = /^(@conveyor\/[\w-]+):build: cache (hit|miss)/.exec(line);
      if (task) say(`  ${task[1]} ${task[2] === 'hit' ? 'up to date' : 'building'}`);
    });
  }
  const code = await new Promise((done) => child.once('close', done));
  if (code !== 0) {
    process.stderr.write(`${output.join('\n')}\n`);
    fail('build failed (see above)');
  }
  say(`built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function main() {
  mkdirSync(dataDir, { recursive: true });
  refusePlaceholderSecrets();
  if (env.CONVEYOR_SKIP_BUILD !== '1') await build();
  helpers = await import('@conveyor/testing').catch((error) =>
    fail(`@conveyor/testing is not built (${error.message}): run pnpm build`),
  );

  const childEnv = { ...env, NODE_ENV: env.NODE_ENV ?? 'production' };
  const external =
    env.REDIS_URL || env.REDIS_HOST || env.REDIS_SENTINELS || env.REDIS_CLUSTER_NODES;
  if (!external) {
    let redisServer;
    try {
      redisServer = helpers.findRedisBinary('redis-server');
    } catch {
      fail(
        'redis-server is not installed and REDIS_URL is not set.\n' +
          '  Install Redis 6.2+ (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis)\n' +
          '  or set REDIS_URL=redis://host:6379 to use a Redis you already run.',
      );
    }
    const port = await pickPort(Number(env.REDIS_PORT ?? 6379), 'the embedded Redis');
    const redisDir = join(dataDir, 'redis');
    mkdirSync(redisDir, { recursive: true });
    startChild(
      'redis',
      redisServer,
      [
        join(root, 'redis.conf'),
        ...['--port', String(port), '--dir', redisDir, '--bind', '127.0.0.1'],
        ...(env.REDIS_PASSWORD ? ['--requirepass', env.REDIS_PASSWORD] : []),
      ],
      childEnv,
    );
    await waitUntil(() => redisPing(port, env.REDIS_PASSWORD), 15_000, 'the embedded Redis');
    childEnv.REDIS_URL = `redis://127.0.0.1:${port}`;
    delete childEnv.REDIS_PORT;
    say(`embedded Redis on 127.0.0.1:${port}, data in ${redisDir}`);
  }

  const credentials = loadCredentials();
  childEnv.API_TOKENS ??= `local:${credentials.apiToken}`;
  childEnv.SLACK_SIGNING_SECRET ??= credentials.slackSigningSecret;
  childEnv.DASHBOARD_USERNAME ??= 'admin';
  childEnv.DASHBOARD_PASSWORD ??= credentials.dashboardPassword;
  childEnv.INGEST_OUTPUT_DIR ??= join(dataDir, 'ingest');
  const token = childEnv.API_TOKENS.split(',')[0].split(':').slice(1).join(':');

  const apiPort = await pickPort(Number(env.API_PORT ?? 3000), 'the API');
  const dashboardPort = await pickPort(Number(env.DASHBOARD_PORT ?? 3001), 'the dashboard');
  const workerCount = Number(env.WORKER_PROCESSES ?? 2);
  if (!Number.isInteger(workerCount) || workerCount < 1 || workerCount > 64) {
    fail(`WORKER_PROCESSES must be a whole number from 1 to 64, got ${env.WORKER_PROCESSES}`);
  }
  const workerBase = Number(env.WORKER_HTTP_PORT ?? 9464);

  const [apiCmd, ...apiArgs] = serviceCommand('api');
  startChild('api', apiCmd, apiArgs, { ...childEnv, PORT: String(apiPort) });
  const workerPorts = [];
  for (let i = 1; i <= workerCount; i++) {
    const port = workerBase === 0 ? 0 : await pickPort(workerBase + i - 1, `worker ${i}`);
    workerPorts.push(port);
    const [cmd, ...args] = serviceCommand('worker');
    startChild(`worker-${i}`, cmd, args, { ...childEnv, WORKER_HTTP_PORT: String(port) });
  }
  const [dashCmd, ...dashArgs] = serviceCommand('dashboard');
  startChild('dashboard', dashCmd, dashArgs, { ...childEnv, PORT: String(dashboardPort) });

  const api = `http://localhost:${apiPort}`;
  const dashboard = `http://localhost:${dashboardPort}`;
  await waitUntil(httpOk(`${api}/healthz`), 30_000, 'the API');
  await waitUntil(httpOk(`${dashboard}/healthz`), 30_000, 'the dashboard');
  for (const port of workerPorts.filter(Boolean)) {
    await waitUntil(httpOk(`http://localhost:${port}/healthz`), 30_000, 'a worker');
  }

  // `%s` becomes a fresh event id each time the command is pasted: Slack never sends two events
  // with one id, and Conveyor stores an id once per 24 h.
  const slackBody = JSON.stringify({
    type: 'event_callback',
    team_id: 'T0LOCAL',
    api_app_id: 'A0LOCAL',
    event: {
      type: 'app_mention',
      user: 'U0LOCAL',
      text: 'hello <@U0BOT>',
      channel: 'C0LOCAL',
      ts: '1700000000.000100',
    },
    event_id: 'Ev%s',
    event_time: 1700000000,
  });
  const secret = childEnv.SLACK_SIGNING_SECRET;
  process.stdout.write(`
${paint('1;32', 'Conveyor is running')}
  API         ${api}          (OpenAPI: ${api}/openapi.json)
  Dashboard   ${dashboard}    user ${childEnv.DASHBOARD_USERNAME}  password ${childEnv.DASHBOARD_PASSWORD}
  Workers     ${workerCount} process(es)${workerPorts[0] ? `, metrics on :${workerPorts.join(', :')}` : ''}
  API token   ${token}

Set the token for the commands below and the README's examples:
  export TOKEN=${token} API=${api}

Enqueue an ingestion job:
  curl -sS -X POST $API/v1/queues/ingestion/jobs \\
    -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
    -d '{"data":{"documentId":"hello-1","source":{"kind":"inline","text":"Hello, Conveyor."}}}'

Send a signed Slack test event (a new event id each time):
  body=$(printf '${slackBody}' "$(date +%s%N)"); ts=$(date +%s); \\
  sig="v0=$(printf 'v0:%s:%s' "$ts" "$body" | openssl dgst -sha256 -hmac '${secret}' | sed 's/^.* //')"; \\
  curl -sS -X POST ${api}/slack/events -H 'content-type: application/json' \\
    -H "x-slack-request-timestamp: $ts" -H "x-slack-signature: $sig" -d "$body"

${childEnv.SLACK_BOT_TOKEN ? '' : 'Without SLACK_BOT_TOKEN the worker cannot reply, so that event lands in slack-events-dead-letters\n(see the dashboard): set SLACK_BOT_TOKEN in .env for real replies.\n\n'}Press Ctrl-C to stop.
`);
}

let interrupts = 0;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    interrupts++;
    if (interrupts > 1) {
      for (const entry of children) entry.child.kill('SIGKILL');
      process.exit(130);
    }
    shutdown(0);
  });
}
process.on('exit', () => {
  for (const entry of children) {
    if (entry.child.exitCode === null && entry.child.signalCode === null)
      entry.child.kill('SIGKILL');
  }
});

main().catch((error) => {
  process.stderr.write(`${paint('1;31', '[conveyor]')} ${error.message}\n`);
  shutdown(1);
});
