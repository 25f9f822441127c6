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
 * every answer: the traffic that runs through a failover.
 */
export class LoadGenerator {
  readonly sent: SentEvent[] = [];
  readonly #client: ApiClient;
  readonly #tag: string;
  #running = false;
  #deadline = 0;
  #lanes: Promise<void>[] = [];
  #next = 0;

  constructor(client: ApiClient, tag: string) {
    this.#client = client;
    this.#tag = tag;
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

  /** Event ids the API acknowledged (200), optionally only those answered in a time range. */
  acknowledged(from = Number.NEGATIVE_INFINITY, to = Number.POSITIVE_INFINITY): string[] {
    return this.sent
      .filter((event) => event.status === 200 && event.answeredAt >= from && event.answeredAt < to)
      .map((event) => event.eventId);
  }

  async #lane(): Promise<void> {
    while (this.#running && performance.now() < this.#deadline) {
      const index = this.#next++;
      const eventId = `${this.#tag}${index}`;
      const answer = await this.#client.slackEvent(appMention(eventId, index), 5000);
      this.sent.push({ eventId, status: answer.status, answeredAt: performance.now() });
    }
  }
}
