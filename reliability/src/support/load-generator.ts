import type { ApiClient } from './api-client.js';
import { appMention } from './payloads.js';

/** One Slack event the load generator sent, and what the API answered. */
export interface SentEvent {
  eventId: string;
  status: number;
  /** `performance.now()` when the answer arrived. */
  answeredAt: number;
}

/**
 * Sends signed Slack events without pause on `lanes` concurrent lanes until stopped, keeping
 * every answer: the traffic that runs through a failover. With `bulkSize`, each request is
 * instead a bulk of that many envelopes to `POST /v1/queues/slack-events/jobs/bulk`, and each
 * of its events gets the bulk's answer.
 */
export class LoadGenerator {
  readonly sent: SentEvent[] = [];
  readonly #client: ApiClient;
  readonly #tag: string;
  readonly #bulkSize: number | undefined;
  #running = false;
  #deadline = 0;
  #lanes: Promise<void>[] = [];
  #next = 0;

  constructor(client: ApiClient, tag: string, options: { bulkSize?: number } = {}) {
    this.#client = client;
    this.#tag = tag;
    this.#bulkSize = options.bulkSize;
  }

  /** Starts `lanes` lanes; they stop by themselves after `maxMs` if {@link stop} never comes. */
  start(lanes: number, maxMs = 60_000): void {
    this.#running = true;
    this.#deadline = performance.now() + maxMs;
    this.#lanes = Array.from({ length: lanes }, () => this.#lane());
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#lanes);
  }

  /** Event ids the API acknowledged (200, or 202 for a bulk), optionally answered in a range. */
  acknowledged(from = Number.NEGATIVE_INFINITY, to = Number.POSITIVE_INFINITY): string[] {
    return this.sent
      .filter((event) => event.status === this.#accepted && event.answeredAt >= from)
      .filter((event) => event.answeredAt < to)
      .map((event) => event.eventId);
  }

  /** Answers that are neither an acknowledgement nor a 503 (none expected). */
  unexpected(): SentEvent[] {
    return this.sent.filter((event) => event.status !== this.#accepted && event.status !== 503);
  }

  get #accepted(): number {
    return this.#bulkSize === undefined ? 200 : 202;
  }

  async #lane(): Promise<void> {
    while (this.#running && performance.now() < this.#deadline) {
      const first = this.#next;
      const size = this.#bulkSize ?? 1;
      this.#next += size;
      const indexes = Array.from({ length: size }, (_, offset) => first + offset);
      const events = indexes.map((index) => appMention(`${this.#tag}${index}`, index));
      const answer =
        this.#bulkSize === undefined
          ? await this.#client.slackEvent(events[0], 5000)
          : await this.#client.enqueueBulk('slack-events', events, 5000);
      const answeredAt = performance.now();
      for (const event of events) {
        this.sent.push({ eventId: event.event_id, status: answer.status, answeredAt });
      }
    }
  }
}
