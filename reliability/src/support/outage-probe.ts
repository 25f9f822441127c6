import type { ApiClient } from './api-client.js';
import { errorCode, type HttpAnswer } from './http.js';
import { appMention, inlineDocument } from './payloads.js';

/** What the API answered while Redis was unavailable. */
export interface OutageAnswers {
  requests: number;
  /** Enqueues answered 503 REDIS_UNAVAILABLE with Retry-After, and `/readyz` answered 503. */
  clean503: number;
  /** Anything else (a 2xx, a hang, another status), as `kind status body`. */
  others: string[];
  slowestMs: number;
  /** Slack `event_id`s and document ids the API refused; a refused job may still be stored. */
  refusedEventIds: string[];
  refusedDocumentIds: string[];
}

/** Options for {@link probeOutage}. */
export interface ProbeOutageOptions {
  /** Keep probing this long. */
  durationMs: number;
  /** Requests in flight at once, each lane sending one after another. @defaultValue 1 */
  lanes?: number;
  /** Prefix of the document ids and event ids sent, unique per scenario. */
  tag: string;
}

type Kind = 'enqueue' | 'bulk' | 'slack' | 'readyz';
const KINDS: Kind[] = ['enqueue', 'slack', 'bulk', 'readyz'];

/**
 * Sends enqueues (single, bulk, Slack event) and readiness checks while Redis is away and
 * classifies the answers. Each request is bounded, so a hang shows up as status 0 instead of
 * stalling the suite.
 */
export async function probeOutage(
  client: ApiClient,
  options: ProbeOutageOptions,
): Promise<OutageAnswers> {
  const result: OutageAnswers = {
    requests: 0,
    clean503: 0,
    others: [],
    slowestMs: 0,
    refusedEventIds: [],
    refusedDocumentIds: [],
  };
  const deadline = performance.now() + options.durationMs;
  let sequence = 0;
  const lane = async () => {
    while (performance.now() < deadline) {
      const index = sequence++;
      const kind = KINDS[index % KINDS.length] as Kind;
      const id = `${options.tag}-${index}`;
      const answer = await send(client, kind, id);
      result.requests += 1;
      result.slowestMs = Math.max(result.slowestMs, answer.ms);
      const clean =
        kind === 'readyz'
          ? answer.status === 503
          : answer.status === 503 &&
            errorCode(answer) === 'REDIS_UNAVAILABLE' &&
            answer.headers.get('retry-after') !== null;
      if (clean) result.clean503 += 1;
      else
        result.others.push(`${kind} ${answer.status} ${answer.error ?? answer.text.slice(0, 200)}`);
      if (kind === 'slack') result.refusedEventIds.push(id);
      if (kind === 'enqueue') result.refusedDocumentIds.push(id);
      if (kind === 'bulk') result.refusedDocumentIds.push(`${id}-a`, `${id}-b`);
    }
  };
  await Promise.all(Array.from({ length: options.lanes ?? 1 }, lane));
  return result;
}

function send(client: ApiClient, kind: Kind, id: string): Promise<HttpAnswer> {
  switch (kind) {
    case 'enqueue':
      return client.enqueue('ingestion', inlineDocument(id), { timeoutMs: 5000 });
    case 'bulk':
      return client.enqueueBulk(
        'ingestion',
        [inlineDocument(`${id}-a`), inlineDocument(`${id}-b`)],
        5000,
      );
    case 'slack':
      return client.slackEvent(appMention(id, 900_000), 5000);
    case 'readyz':
      return client.get('/readyz', 5000);
  }
}
