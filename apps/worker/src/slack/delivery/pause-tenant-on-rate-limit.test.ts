import type { Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { SlackRateLimitedError } from '../../errors/slack-rate-limited-error.js';
import { SlackTransientError } from '../../errors/slack-transient-error.js';
import type { HandlerContext } from '../../handlers/handler-context.js';
import type { JobHandler } from '../../handlers/job-handler.js';
import { pauseTenantOnRateLimit } from './pause-tenant-on-rate-limit.js';

class Paused extends Error {}

describe('pauseTenantOnRateLimit', () => {
  const pauses: number[] = [];
  const context = {
    queue: 'slack-events',
    limitTenant: async (ms: number) => {
      pauses.push(ms);
      throw new Paused();
    },
  } as unknown as HandlerContext;
  const job = { name: 'app_mention' } as Job;
  const failing = (error: Error): JobHandler => ({
    cancellable: true,
    handle: async () => {
      throw error;
    },
  });

  it("pauses the tenant for the 429's Retry-After", async () => {
    const handler = pauseTenantOnRateLimit(
      failing(new SlackRateLimitedError('chat.postMessage', 2000)),
    );
    await expect(handler.handle(job, context)).rejects.toBeInstanceOf(Paused);
    expect(pauses).toEqual([2000]);
    expect(handler.cancellable).toBe(true);
  });

  it('leaves results and every other failure as they are', async () => {
    pauses.length = 0;
    const transient = new SlackTransientError('chat.postMessage', 'HTTP 503');
    await expect(pauseTenantOnRateLimit(failing(transient)).handle(job, context)).rejects.toBe(
      transient,
    );
    const ok = pauseTenantOnRateLimit({ handle: async () => 'done' });
    await expect(ok.handle(job, context)).resolves.toBe('done');
    expect(pauses).toEqual([]);
  });
});
