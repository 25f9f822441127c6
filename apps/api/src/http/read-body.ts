import type { IncomingMessage } from 'node:http';
import { BodyTooLargeError } from '../errors/body-too-large-error.js';
import { RequestAbortedError } from '../errors/request-aborted-error.js';

const EMPTY = Buffer.alloc(0);

/**
 * Reads the whole request body into one Buffer, the raw bytes as sent. A body declared or found
 * to be larger than `limitBytes` is refused with {@link BodyTooLargeError} without buffering the
 * rest, so a client cannot make the process hold more than the limit per request.
 */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limitBytes) return Promise.reject(new BodyTooLargeError(limitBytes));
  if (req.readableEnded) return Promise.resolve(EMPTY);

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onAbort);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        cleanup();
        // Keep the stream flowing into nothing; the answer closes the connection.
        req.resume();
        reject(new BodyTooLargeError(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      if (chunks.length === 0) resolve(EMPTY);
      else if (chunks.length === 1) resolve(chunks[0] as Buffer);
      else resolve(Buffer.concat(chunks, size));
    };
    const onAbort = () => {
      cleanup();
      reject(new RequestAbortedError());
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onAbort);
    req.once('close', onAbort);
  });
}
