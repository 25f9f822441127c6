import { type HttpAnswer, request } from './http.js';
import { slackHeaders } from './slack-signature.js';

/** Options of one enqueue. */
export interface EnqueueOptions {
  idempotencyKey?: string;
  /** The request's `options` (`delay`, `priority`). */
  job?: { delay?: number; priority?: number };
  /** @defaultValue 10_000 */
  timeoutMs?: number;
}

/** Talks to a running API over HTTP, authenticated as the suite's client. */
export class ApiClient {
  constructor(
    readonly url: string,
    readonly token: string,
    readonly slackSigningSecret?: string,
  ) {}

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      authorization: `Bearer ${this.token}`,
      'content-type': 'application/json',
      ...extra,
    };
  }

  /** `POST /v1/queues/:queue/jobs`. */
  enqueue(queue: string, data: unknown, options: EnqueueOptions = {}): Promise<HttpAnswer> {
    const extra: Record<string, string> = options.idempotencyKey
      ? { 'idempotency-key': options.idempotencyKey }
      : {};
    return request(`${this.url}/v1/queues/${queue}/jobs`, {
      method: 'POST',
      headers: this.headers(extra),
      body: JSON.stringify(options.job ? { data, options: options.job } : { data }),
      timeoutMs: options.timeoutMs ?? 10_000,
    });
  }

  /** `POST /v1/queues/:queue/jobs/bulk`. */
  enqueueBulk(queue: string, data: unknown[], timeoutMs = 30_000): Promise<HttpAnswer> {
    return request(`${this.url}/v1/queues/${queue}/jobs/bulk`, {
      method: 'POST',
      headers: this.headers(),
      body: JSON.stringify({ jobs: data.map((item) => ({ data: item })) }),
      timeoutMs,
    });
  }

  /** `POST /slack/events`, signed as Slack signs it. */
  slackEvent(envelope: unknown, timeoutMs = 10_000): Promise<HttpAnswer> {
    if (this.slackSigningSecret === undefined) throw new Error('no Slack signing secret');
    const body = JSON.stringify(envelope);
    return request(`${this.url}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...slackHeaders(this.slackSigningSecret, body),
      },
      body,
      timeoutMs,
    });
  }

  get(path: string, timeoutMs = 10_000): Promise<HttpAnswer> {
    return request(`${this.url}${path}`, { headers: this.headers(), timeoutMs });
  }
}

/** The `id` of an accepted single enqueue. */
export function acceptedId(answer: HttpAnswer): string {
  const id = (answer.json as { id?: unknown } | undefined)?.id;
  if (answer.status !== 202 || typeof id !== 'string') {
    throw new Error(`enqueue not accepted: ${answer.status} ${answer.text.slice(0, 300)}`);
  }
  return id;
}

/** The ids of an accepted bulk enqueue. */
export function acceptedIds(answer: HttpAnswer): string[] {
  const jobs = (answer.json as { jobs?: { id: string }[] } | undefined)?.jobs;
  if (answer.status !== 202 || !Array.isArray(jobs)) {
    throw new Error(`bulk enqueue not accepted: ${answer.status} ${answer.text.slice(0, 300)}`);
  }
  return jobs.map((job) => job.id);
}
