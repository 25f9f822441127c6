import { messageWithCauses } from '@conveyor/telemetry';
import { ResponseUrlRejectedError } from '../../errors/response-url-rejected-error.js';
import { classifySlackAnswer } from './classify-slack-answer.js';

/** Slack's hosts for `response_url` (commercial and GovSlack). */
const SLACK_RESPONSE_HOSTS = ['hooks.slack.com', 'hooks.slack-gov.com'];
const METHOD = 'response_url';

/** Options for {@link ResponseUrlClient}. */
export interface ResponseUrlClientOptions {
  /**
   * The Web API base URL. A `response_url` on the same origin is accepted too, so a local fake
   * Slack (tests) or an egress proxy in front of Slack works.
   */
  apiUrl: string;
  /** Upper bound of one POST, in milliseconds. */
  timeoutMs: number;
}

/**
 * POSTs a JSON message to a slash command's or interaction's `response_url`. Only Slack's hosts
 * are accepted: the URL comes from job data, and a worker that POSTed wherever it was told would
 * let anyone who can enqueue a job reach internal services.
 */
export class ResponseUrlClient {
  readonly #apiOrigin: string;
  readonly #timeoutMs: number;

  constructor(options: ResponseUrlClientOptions) {
    this.#apiOrigin = new URL(options.apiUrl).origin;
    this.#timeoutMs = options.timeoutMs;
  }

  /** Throws {@link ResponseUrlRejectedError} unless `url` is a Slack response URL. */
  check(url: string): URL {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ResponseUrlRejectedError(url, SLACK_RESPONSE_HOSTS);
    }
    const slackHost =
      parsed.protocol === 'https:' && SLACK_RESPONSE_HOSTS.includes(parsed.hostname);
    if (!slackHost && parsed.origin !== this.#apiOrigin) {
      throw new ResponseUrlRejectedError(url, [...SLACK_RESPONSE_HOSTS, this.#apiOrigin]);
    }
    return parsed;
  }

  /**
   * Sends `message`; `signal` (the job's cancellation) aborts the request.
   * @throws SlackPermanentError (4xx), SlackRateLimitedError (429), SlackTransientError (5xx,
   *   408, network, timeout), ResponseUrlRejectedError
   */
  async post(url: string, message: Record<string, unknown>, signal?: AbortSignal): Promise<void> {
    const target = this.check(url);
    let response: Response;
    try {
      response = await fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(message),
        redirect: 'error',
        signal: signal
          ? AbortSignal.any([AbortSignal.timeout(this.#timeoutMs), signal])
          : AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw classifySlackAnswer(METHOD, { detail: messageWithCauses(error), cause: error });
    }
    const body = (await response.text().catch(() => '')).slice(0, 200);
    if (response.ok) return;
    const retryAfter = Number.parseInt(response.headers.get('retry-after') ?? '', 10);
    throw classifySlackAnswer(METHOD, {
      status: response.status,
      ...(Number.isNaN(retryAfter) ? {} : { retryAfterSeconds: retryAfter }),
      detail: body,
    });
  }
}
