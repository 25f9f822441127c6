import type { IncomingMessage } from 'node:http';
import { assertMediaType } from './assert-media-type.js';
import { parseJson } from './parse-json.js';
import { readBody } from './read-body.js';

/** Checks the media type, reads at most `limitBytes` and parses JSON, once. */
export async function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  assertMediaType(req, 'application/json');
  const body = await readBody(req, limitBytes);
  return parseJson(body.toString('utf8'));
}
