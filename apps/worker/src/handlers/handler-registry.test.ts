import { describe, expect, it } from 'vitest';
import { HandlerRegistry } from './handler-registry.js';
import type { JobHandler } from './job-handler.js';

const handler = (value: string): JobHandler => ({ handle: async () => value });

describe('HandlerRegistry', () => {
  it('resolves by queue and job name, then the queue fallback', () => {
    const mention = handler('mention');
    const fallback = handler('fallback');
    const registry = new HandlerRegistry()
      .register('slack-events', 'app_mention', mention)
      .registerFallback('slack-events', fallback);
    expect(registry.resolve('slack-events', 'app_mention')).toBe(mention);
    expect(registry.resolve('slack-events', 'anything')).toBe(fallback);
    expect(registry.resolve('ingestion', 'ingest')).toBeUndefined();
    expect(registry.serves('slack-events')).toBe(true);
    expect(registry.serves('ingestion')).toBe(false);
    expect(registry.jobNames('slack-events')).toEqual(['app_mention', '*']);
  });

  it('refuses an accidental second registration unless asked to replace', () => {
    const registry = new HandlerRegistry().register('ingestion', 'ingest', handler('a'));
    expect(() => registry.register('ingestion', 'ingest', handler('b'))).toThrow(
      /already registered/,
    );
    const replacement = handler('c');
    registry.register('ingestion', 'ingest', replacement, { replace: true });
    expect(registry.resolve('ingestion', 'ingest')).toBe(replacement);
  });
});
