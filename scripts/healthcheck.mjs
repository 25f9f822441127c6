#!/usr/bin/env node
/**
 * The image's HEALTHCHECK: one image runs every app, so this finds which one the container runs
 * (from its main process's command line) and asks that app's `/healthz` on the port it listens
 * on, with the apps' own defaults. Exit 0 when healthy, 1 otherwise.
 *
 * `--pid N` inspects another process than 1 (the container's main process), for tests.
 */
import { readFileSync } from 'node:fs';

const env = process.env;
const APPS = {
  api: () => env.PORT ?? '3000',
  worker: () => env.WORKER_HTTP_PORT ?? '9464',
  dashboard: () => env.PORT ?? '3001',
};

const pidFlag = process.argv.indexOf('--pid');
const pid = pidFlag === -1 ? '1' : process.argv[pidFlag + 1];
const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
const app = Object.keys(APPS).find((name) => commandLine.includes(`apps/${name}/dist/main.js`));
if (app === undefined) {
  process.stderr.write(`healthcheck: process ${pid} runs no Conveyor app (${commandLine})\n`);
  process.exit(1);
}
const port = APPS[app]();
if (port === '0') process.exit(0); // the worker's health server is turned off: nothing to ask
fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2500) }).then(
  (response) => process.exit(response.ok ? 0 : 1),
  () => process.exit(1),
);
