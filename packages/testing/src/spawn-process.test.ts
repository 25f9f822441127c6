import { describe, expect, it } from 'vitest';
import { spawnProcess } from './spawn-process.js';

const node = process.execPath;

describe('spawnProcess', () => {
  it('captures stdout and stderr interleaved and reports the exit code', async () => {
    const child = spawnProcess(
      node,
      [
        '-e',
        `process.stdout.write('out 1\\n');
         setTimeout(() => process.stderr.write('err 2\\n'), 20);
         setTimeout(() => { process.stdout.write('out 3\\n'); process.exit(3); }, 40);`,
      ],
      { name: 'printer' },
    );
    expect(child.pid).toBeGreaterThan(0);
    await expect(child.exited).resolves.toEqual({ code: 3, signal: null });
    expect(child.output()).toBe('out 1\nerr 2\nout 3\n');
    expect(child.running).toBe(false);
  });

  it('waits for a line, including one printed before the call', async () => {
    const child = spawnProcess(
      node,
      [
        '-e',
        `console.log('booting'); setTimeout(() => console.log('listening on 4242'), 50); setInterval(() => {}, 1000);`,
      ],
      { name: 'server', env: { ...process.env, EXTRA: 'x' } },
    );
    try {
      await expect(child.waitForOutput(/listening on (\d+)/)).resolves.toBe('listening on 4242');
      await expect(child.waitForOutput('booting')).resolves.toBe('booting');
    } finally {
      await expect(child.stop()).resolves.toEqual({ code: null, signal: 'SIGTERM' });
    }
  });

  it('rejects with the output tail when the process exits before printing the line', async () => {
    const child = spawnProcess(node, ['-e', `console.error('config missing'); process.exit(2)`], {
      name: 'broken',
    });
    await expect(child.waitForOutput('ready')).rejects.toThrow(
      /broken: exited \(code 2\) before waiting for output ready\nconfig missing/,
    );
  });

  it('rejects after the timeout while the process stays silent', async () => {
    const child = spawnProcess(node, ['-e', 'setInterval(() => {}, 1000)'], { name: 'silent' });
    try {
      await expect(child.waitForOutput('ready', 100)).rejects.toThrow(
        'silent: timed out after 100ms waiting for output ready',
      );
    } finally {
      await child.stop();
    }
  });

  it('stop() escalates to SIGKILL when SIGTERM is ignored', async () => {
    const child = spawnProcess(
      node,
      [
        '-e',
        `process.on('SIGTERM', () => console.log('ignoring')); console.log('up'); setInterval(() => {}, 1000);`,
      ],
      { name: 'stubborn', cwd: '/' },
    );
    await child.waitForOutput('up');
    const started = Date.now();
    await expect(child.stop(200)).resolves.toEqual({ code: null, signal: 'SIGKILL' });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(child.output()).toContain('ignoring');
    // Stopping an exited process just reports how it ended.
    await expect(child.stop()).resolves.toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('throws at once for a command that does not exist', () => {
    expect(() => spawnProcess('/nonexistent/conveyor-binary', [], { name: 'ghost' })).toThrow(
      'ghost: could not spawn /nonexistent/conveyor-binary',
    );
  });
});
