import { messageWithCauses } from '@conveyor/telemetry';
import { getFreePort } from '@conveyor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlockedAddressError } from '../src/errors/blocked-address-error.js';
import { SourceRejectedError } from '../src/errors/source-rejected-error.js';
import { SourceUnavailableError } from '../src/errors/source-unavailable-error.js';
import { DocumentFetcher } from '../src/ingestion/document-fetcher.js';
import { FileServer } from './support/file-server.js';

let files: FileServer;
const fetcher = new DocumentFetcher({ timeoutMs: 300, maxBytes: 10_000, allowPrivateUrls: true });

beforeAll(async () => {
  files = await FileServer.start();
  files.set('/doc.md', { body: '# Doc', contentType: 'text/markdown; charset=utf-8' });
  files.set('/moved', { status: 302, headers: { location: '/doc.md' } });
  files.set('/loop', { status: 301, headers: { location: '/loop' } });
  files.set('/slow', { body: 'late', delayMs: 2000 });
  files.set('/ftp', { status: 302, headers: { location: 'ftp://127.0.0.1/doc' } });
});
afterAll(() => files?.stop());

describe('DocumentFetcher', () => {
  it('follows relative redirects and reports the final URL', async () => {
    const fetched = await fetcher.fetch(files.url('/moved'));
    expect(fetched).toMatchObject({
      url: files.url('/doc.md'),
      mediaType: 'text/markdown',
      charset: 'utf-8',
    });
    expect(fetched.body.toString()).toBe('# Doc');
  });

  it('gives up on redirect loops and non-HTTP redirects, permanently', async () => {
    await expect(fetcher.fetch(files.url('/loop'))).rejects.toThrow(SourceRejectedError);
    await expect(fetcher.fetch(files.url('/loop'))).rejects.toThrow(/more than 5 redirects/);
    await expect(fetcher.fetch(files.url('/ftp'))).rejects.toThrow(/ftp: URLs are not fetched/);
  });

  it('times out as a retryable failure', async () => {
    const started = Date.now();
    await expect(fetcher.fetch(files.url('/slow'))).rejects.toThrow(SourceUnavailableError);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('names a network failure once, in its message and in the logged cause chain', async () => {
    const port = await getFreePort();
    const url = `http://127.0.0.1:${port}/doc.md`;
    const error = await fetcher.fetch(url).catch((caught: Error) => caught);
    expect(error).toBeInstanceOf(SourceUnavailableError);
    const expected = `Cannot fetch ${url} right now: connect ECONNREFUSED 127.0.0.1:${port}`;
    expect((error as Error).message).toBe(expected);
    expect(messageWithCauses(error)).toBe(expected);
  });

  it('checks every hop against the address policy when private URLs are not allowed', async () => {
    const strict = new DocumentFetcher({ timeoutMs: 1000, maxBytes: 10, allowPrivateUrls: false });
    await expect(strict.fetch(files.url('/doc.md'))).rejects.toThrow(BlockedAddressError);
    await expect(strict.fetch('http://169.254.169.254/latest/meta-data/')).rejects.toThrow(
      BlockedAddressError,
    );
  });
});
