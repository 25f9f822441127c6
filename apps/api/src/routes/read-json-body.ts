import type { IncomingMessage } from 'node:http';
import { assertMediaType } from '../http/assert-media-type.js';
import { parseJson } from '../http/parse-json.js';
import { readBody } from '../http/read-body.js';

/** Checks the media type, reads at most `limitBytes` and parses JSON, once. */
export async function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  assertMediaType(req, 'application/json');
  const body = await readBody(req, limitBytes);
  return parseJson(body.toString('utf8'));
}
