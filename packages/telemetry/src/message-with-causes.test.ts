import { describe, expect, it } from 'vitest';
import { messageWithCauses } from './message-with-causes.js';

const wrap = (message: string, cause?: unknown) => new Error(message, { cause });

describe('messageWithCauses', () => {
  it('appends each cause once, leaving out what the text already says', () => {
    const lookup = wrap('getaddrinfo ENOTFOUND docs.invalid');
    const fetchFailed = wrap('fetch failed', lookup);
    expect(messageWithCauses(wrap('Cannot fetch it: fetch failed', fetchFailed))).toBe(
      'Cannot fetch it: fetch failed: getaddrinfo ENOTFOUND docs.invalid',
    );
    expect(
      messageWithCauses(wrap('Cannot fetch it: getaddrinfo ENOTFOUND docs.invalid', lookup)),
    ).toBe('Cannot fetch it: getaddrinfo ENOTFOUND docs.invalid');
  });

  it('ends on a circular chain and reads non-errors', () => {
    const a = wrap('a');
    const b = wrap('b', a);
    a.cause = b;
    expect(messageWithCauses(a)).toBe('a: b');
    expect(messageWithCauses('plain')).toBe('plain');
  });
});
