import { describe, expect, it } from 'vitest';
import { settleWithin } from './settle-within.js';

describe('settleWithin', () => {
  it('answers true for a promise that settles in time, fulfilled or rejected', async () => {
    expect(await settleWithin(Promise.resolve('done'), 60_000)).toBe(true);
    expect(await settleWithin(Promise.reject(new Error('failed')), 60_000)).toBe(true);
  });

  it('answers false once the bound passes first, and does not reject', async () => {
    const never = new Promise<never>(() => {});
    expect(await settleWithin(never, 1)).toBe(false);
  });
});
