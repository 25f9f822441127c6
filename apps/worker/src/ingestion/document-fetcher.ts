import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { INGEST_MEDIA_TYPES, type IngestMediaType } from '@conveyor/queues';
import { messageWithCauses } from '@conveyor/telemetry';
import { BlockedAddressError } from '../errors/blocked-address-error.js';
import { DocumentTooLargeError } from '../errors/document-too-large-error.js';
import { SourceRejectedError } from '../errors/source-rejected-error.js';
import { SourceUnavailableError } from '../errors/source-unavailable-error.js';
import { UnsupportedMediaTypeError } from '../errors/unsupported-media-type-error.js';
import { isPublicAddress } from './address-policy.js';
import { guardedLookup } from './guarded-lookup.js';
import { resolveMediaType } from './media-type.js';

/** Options for {@link DocumentFetcher}. */
export interface DocumentFetcherOptions {
  /** Upper bound of a whole fetch (redirects and body included), in milliseconds. */
  timeoutMs: number;
  /** Largest body accepted, in bytes. */
  maxBytes: number;
  /** Allow private, loopback and link-local addresses (tests, internal deployments). */
  allowPrivateUrls: boolean;
  /**
   * Redirects followed before giving up.
   * @defaultValue 5
   */
  maxRedirects?: number;
}

/** A fetched document, body undecoded. */
export interface FetchedDocument {
  /** The URL the body came from, after redirects. */
  url: string;
  body: Buffer;
  mediaType: IngestMediaType;
  /** The charset the source declared, if any. */
  charset?: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const ACCEPT = 'text/plain, text/markdown, text/html;q=0.9, */*;q=0.1';

/**
 * Fetches ingestion documents over HTTP(S) safely.
 *
 * Responsibilities:
 * - refuse non-public addresses (every resolved address, IPv4 and IPv6, checked at connect
 *   time, redirects included) unless private URLs are allowed;
 * - bound the whole fetch in time and the body in bytes (checked on `Content-Length` first,
 *   then while streaming);
 * - accept only text/plain, text/markdown and text/html, before downloading the body;
 * - sort failures into permanent (4xx, too large, wrong type, blocked) and retryable (5xx, 408,
 *   429, network, timeout).
 */
export class DocumentFetcher {
  readonly #options: Required<DocumentFetcherOptions>;

  constructor(options: DocumentFetcherOptions) {
    this.#options = { maxRedirects: 5, ...options };
  }

  async fetch(url: string, signal?: AbortSignal): Promise<FetchedDocument> {
    const deadline = AbortSignal.timeout(this.#options.timeoutMs);
    const combined = signal ? AbortSignal.any([deadline, signal]) : deadline;
    try {
      return await this.#fetch(new URL(url), combined);
    } catch (error) {
      if (deadline.aborted) {
        throw new SourceUnavailableError(url, `timed out after ${this.#options.timeoutMs} ms`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  async #fetch(start: URL, signal: AbortSignal): Promise<FetchedDocument> {
    let current = start;
    for (let hop = 0; hop <= this.#options.maxRedirects; hop++) {
      this.#checkTarget(current);
      const response = await this.#send(current, signal);
      const status = response.statusCode ?? 0;
      if (REDIRECTS.has(status)) {
        response.resume();
        const location = response.headers.location;
        if (!location)
          throw new SourceRejectedError(current.href, `HTTP ${status} without Location`);
        current = new URL(location, current);
        continue;
      }
      if (status < 200 || status >= 300) {
        response.resume();
        if (status >= 500 || status === 408 || status === 429) {
          throw new SourceUnavailableError(current.href, `HTTP ${status}`);
        }
        throw new SourceRejectedError(current.href, `HTTP ${status}`);
      }
      const resolved = resolveMediaType(response.headers['content-type'], current);
      if (typeof resolved === 'string') {
        response.destroy();
        throw new UnsupportedMediaTypeError(resolved, INGEST_MEDIA_TYPES);
      }
      const body = await this.#readBody(response, current);
      return { url: current.href, body, ...resolved };
    }
    throw new SourceRejectedError(start.href, `more than ${this.#options.maxRedirects} redirects`);
  }

  #checkTarget(url: URL): void {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new SourceRejectedError(url.href, `${url.protocol} URLs are not fetched`);
    }
    if (this.#options.allowPrivateUrls) return;
    // A literal address never goes through DNS, so the lookup guard would not see it.
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) !== 0 && !isPublicAddress(host)) throw new BlockedAddressError(host, host);
  }

  #send(url: URL, signal: AbortSignal): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
        url,
        {
          method: 'GET',
          headers: { accept: ACCEPT, 'user-agent': 'conveyor-worker/1' },
          signal,
          ...(this.#options.allowPrivateUrls ? {} : { lookup: guardedLookup }),
        },
        resolve,
      );
      request.once('error', (error) => reject(this.#networkError(url, error)));
      request.end();
    });
  }

  async #readBody(response: IncomingMessage, url: URL): Promise<Buffer> {
    const { maxBytes } = this.#options;
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      response.destroy();
      throw new DocumentTooLargeError(maxBytes);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of response) {
        size += (chunk as Buffer).length;
        if (size > maxBytes) {
          response.destroy();
          throw new DocumentTooLargeError(maxBytes);
        }
        chunks.push(chunk as Buffer);
      }
    } catch (error) {
      if (error instanceof DocumentTooLargeError) throw error;
      throw this.#networkError(url, error as Error);
    }
    return Buffer.concat(chunks);
  }

  #networkError(url: URL, error: Error): Error {
    if (error instanceof BlockedAddressError) return error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason = messageWithCauses(error);
    // Node's messages usually name their code already (`getaddrinfo ENOTFOUND host`).
    return new SourceUnavailableError(
      url.href,
      code === undefined || reason.includes(code) ? reason : `${code}: ${reason}`,
      { cause: error },
    );
  }
}
