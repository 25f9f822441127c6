import type { IncomingMessage } from 'node:http';
import { UnsupportedMediaTypeError } from '../errors/unsupported-media-type-error.js';

/** Media types the API reads. */
export type AcceptedMediaType = 'application/json' | 'application/x-www-form-urlencoded';

/**
 * Checks that the body is `expected`, in UTF-8 and not compressed.
 * @throws UnsupportedMediaTypeError (HTTP 415)
 */
export function assertMediaType(req: IncomingMessage, expected: AcceptedMediaType): void {
  const header = req.headers['content-type'];
  if (header === undefined) {
    throw new UnsupportedMediaTypeError(expected, 'the Content-Type header is missing');
  }
  const [mediaType = '', ...parameters] = header.split(';');
  if (mediaType.trim().toLowerCase() !== expected) {
    throw new UnsupportedMediaTypeError(
      expected,
      `Content-Type ${JSON.stringify(mediaType.trim().slice(0, 100))} is not accepted`,
    );
  }
  for (const parameter of parameters) {
    const [name = '', value = ''] = parameter.split('=');
    if (name.trim().toLowerCase() !== 'charset') continue;
    const charset = value.trim().replace(/^"|"$/g, '').toLowerCase();
    if (charset !== 'utf-8' && charset !== 'utf8') {
      throw new UnsupportedMediaTypeError(
        `${expected}; charset=utf-8`,
        `charset ${JSON.stringify(charset.slice(0, 50))} is not accepted`,
      );
    }
  }
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    throw new UnsupportedMediaTypeError(
      `${expected} without Content-Encoding`,
      `Content-Encoding ${JSON.stringify(encoding.slice(0, 50))} is not accepted`,
    );
  }
}
