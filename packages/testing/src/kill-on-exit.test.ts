import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isProcessAlive as alive } from './is-process-alive.js';
import { spawnProcess } from './spawn-process.js';
import { waitFor } from './wait-for.js';

/**
 * The package compiled to plain JS in a temp folder, so a separate node process can use it the
 * way a test worker does and then die in different ways.
 */
async function compilePackage(): Promise<string> {
  const out = await mkdtemp(join(tmpdir(), 'conveyor-kill-on-exit-'));
  const srcDir = import.meta.dirname;
  for (const file of await readdir(srcDir)) {
    if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
    const { outputText } = ts.transpileModule(await readFile(join(srcDir, file), 'utf8'), {
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2023,
        verbatimModuleSyntax: true,
      },
    });
    await writeFile(join(out, file.replace(/\.ts$/, '.js')), outputText);
  }
  await writeFile(join(out, 'package.json'), '{ "type": "module" }\n');
  await symlink(join(srcDir, '..', 'node_modules'), join(out, 'node_modules'));
  return out;
}

const SCRIPT = `
import { RedisServer, spawnProcess } from './index.js';
const how = process.argv[2];
// The parent checks that everything runs, then SIGUSR2 says "end now".
process.on('SIGUSR2', () => {
  if (how === 'exit') process.exit(0);
  setImmediate(() => {
    throw new Error('test process crashed');
  });
});
const server = await RedisServer.start({ appendonly: false });
const sleeper = spawnProcess('sleep', ['60'], { name: 'sleeper' });
console.log(JSON.stringify({ pids: [server.pid, sleeper.pid], dir: server.dir }));
setInterval(() => {}, 1000);
`;

describe('killOnExit', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await compilePackage();
    await writeFile(join(dir, 'script.js'), SCRIPT);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each([
    ['exit', { code: 0, signal: null }],
    ['throw', { code: 1, signal: null }],
    ['SIGTERM', { code: null, signal: 'SIGTERM' }],
    ['SIGINT', { code: null, signal: 'SIGINT' }],
  ] as const)('leaves no child behind when the test process ends by %s', async (how, ending) => {
    const test = spawnProcess(process.execPath, ['script.js', how], { name: how, cwd: dir });
    try {
      const line = await test.waitForOutput('"pids"');
      const { pids, dir: serverDir } = JSON.parse(line) as { pids: number[]; dir: string };
      expect(pids.every(alive)).toBe(true);
      expect(existsSync(serverDir)).toBe(true);
      test.kill(how.startsWith('SIG') ? (how as NodeJS.Signals) : 'SIGUSR2');

      // The signal keeps its usual effect: the process still dies of it.
      await expect(test.exited).resolves.toEqual(ending);
      await waitFor(() => !pids.some(alive), {
        description: `redis-server and sleep to be gone after ${how}`,
        timeoutMs: 2000,
      });
      expect(existsSync(serverDir)).toBe(false);
    } finally {
      // SIGTERM, not the SIGKILL of our own exit handler, so a failed run still cleans up.
      await test.stop(2000);
    }
  });
});
