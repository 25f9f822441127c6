import { describe, expect, it } from 'vitest';
import { SlackTransientError } from './slack-transient-error.js';

describe('SlackTransientError', () => {
  it('does not promise a retry: the last attempt fails for good with this message', () => {
    const error = new SlackTransientError('chat.postMessage', 'HTTP 503');
    expect(error.message).toBe('Slack chat.postMessage failed: HTTP 503');
    expect(error.code).toBe('SLACK_TRANSIENT');
  });
});
