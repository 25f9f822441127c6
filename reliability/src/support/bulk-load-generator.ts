import type { ApiClient } from './api-client.js';
import { appMention } from './payloads.js';

/** One bulk of Slack envelopes the generator sent, and what the API answered. */
export interface SentBulk {
  eventIds: string[];
  status: number;
  /** `performance.now()` when the answer arrived. */
  answeredAt: number;
}

/**
 * Sends bulks of `app_mention` envelopes to `POST /v1/queues/slack-events/jobs/bulk` without
 * pause on `lanes` concurrent lanes until stopped, keeping every answer: the bulk side of the
 * traffic that runs through a failover (the single side is {@link LoadGenerator}).
 */
export class BulkLoadGenerator {
  readonly sent: SentBulk[] = [];
  readonly #client: ApiClient;
  readonly #tag: string;
  readonly #size: number;
  #running = false;
  #deadline = 0;
  #lanes: Promise<void>[] = [];
  #next = 0;

  /** `size` envelopes per bulk, their event ids `<tag><n>`. */
  constructor(client: ApiClient, tag: string, size: number) {
    this.#client = client;
    this.#tag = tag;
    this.#size = size;
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

  /** Event ids of bulks the API acknowledged (202), optionally only those answered in a range. */
  acknowledged(from = Number.NEGATIVE_INFINITY, to = Number.POSITIVE_INFINITY): string[] {
    return this.sent
      .filter((bulk) => bulk.status === 202 && bulk.answeredAt >= from && bulk.answeredAt < to)
      .flatMap((bulk) => bulk.eventIds);
  }

  async #lane(): Promise<void> {
    while (this.#running && performance.now() < this.#deadline) {
      const first = this.#next;
      this.#next += this.#size;
      const indexes = Array.from({ length: this.#size }, (_, offset) => first + offset);
      const eventIds = indexes.map((index) => `${this.#tag}${index}`);
      const envelopes = indexes.map((index, offset) => appMention(eventIds[offset] ?? '', index));
      const answer = await this.#client.enqueueBulk('slack-events', envelopes, 5000);
      this.sent.push({ eventIds, status: answer.status, answeredAt: performance.now() });
    }
  }
}
