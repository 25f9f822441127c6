import { describe, expect, it } from 'vitest';
import { waitFor } from './wait-for.js';

describe('waitFor', () => {
  it('resolves with the first truthy value, treating throws as "not yet"', async () => {
    let calls = 0;
    const value = await waitFor(
      () => {
        calls++;
        if (calls < 3) throw new Error('not yet');
        return calls === 3 ? undefined : { calls };
      },
      { description: 'the fourth call', intervalMs: 1 },
    );
    expect(value).toEqual({ calls: 4 });
  });

  it('times out with the description and the last error', async () => {
    const started = Date.now();
    await expect(
      waitFor(
        () => {
          throw new Error('connection refused');
        },
        { description: 'the moon', timeoutMs: 100, intervalMs: 10 },
      ),
    ).rejects.toThrow('timed out after 100ms waiting for the moon: last error: connection refused');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('does not let an attempt that never settles outlive the timeout', async () => {
    const hung = waitFor(() => new Promise<boolean>(() => {}), {
      description: 'a hung probe',
      timeoutMs: 100,
    });
    await expect(hung).rejects.toThrow('timed out after 100ms waiting for a hung probe');
  });

  it('stops at once when the signal aborts, with its reason', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('process exited')), 20);
    const started = Date.now();
    await expect(
      waitFor(() => false, { description: 'never', timeoutMs: 5000, signal: controller.signal }),
    ).rejects.toThrow('process exited');
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
