import type { Redis } from 'ioredis';

/** Options for {@link CompletionStream}. */
export interface CompletionStreamOptions {
  /** A plain client of its own (it issues one non-blocking XREAD at a time). */
  client: Redis;
  /** The queue's events stream, `queue.keys.events`. */
  eventsKey: string;
  /**
   * How often the stream is read.
   * @defaultValue 50
   */
  intervalMs?: number;
  /**
   * The events reported, by BullMQ's name: `active` is appended by the script that hands the
   * job to a worker, so its id is the moment the job started.
   * @defaultValue ['completed']
   */
  events?: readonly string[];
}

/** Told of every event read: the job id, Redis's time of the event (whole ms) and its name. */
export type OnCompleted = (jobId: string, redisMs: number, event: string) => void;

/** Entries of one stream as ioredis returns them from XREAD. */
type StreamEntries = [id: string, fields: string[]][];

/**
 * Reads which jobs completed, and when by Redis's clock, from a queue's events stream: BullMQ
 * appends `completed` in the same script that moves the job to completed, so the entry's id is
 * the moment the job was done.
 *
 * A non-blocking XREAD every `intervalMs` instead of QueueEvents' blocking one: at 1,000 jobs/s a
 * blocking read returns for nearly every event, which costs the machine that is being measured a
 * few thousand wake-ups a second (here that was a fifth of the bench process's CPU), and puts the
 * bench's own pauses into the figure. Polling late changes nothing: the time read is Redis's.
 */
export class CompletionStream {
  #lastId = '$';
  #timer: NodeJS.Timeout | undefined;
  #reading: Promise<void> | undefined;
  #failure: Error | undefined;
  #onCompleted: OnCompleted = () => {};

  readonly #options: CompletionStreamOptions;
  readonly #events: readonly string[];
  constructor(options: CompletionStreamOptions) {
    this.#options = options;
    this.#events = options.events ?? ['completed'];
  }

  /** Starts reading from the stream's current end, telling `onCompleted` until {@link stop}. */
  async start(onCompleted: OnCompleted): Promise<void> {
    this.#onCompleted = onCompleted;
    this.#failure = undefined;
    const last = (
      await this.#options.client.xrevrange(this.#options.eventsKey, '+', '-', 'COUNT', 1)
    )[0];
    this.#lastId = last?.[0] ?? '0-0';
    this.#timer = setInterval(() => {
      this.#reading ??= this.#read().finally(() => {
        this.#reading = undefined;
      });
    }, this.#options.intervalMs ?? 50);
  }

  /** Reads what is left and stops; throws the first read error, if any. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#reading;
    await this.#read();
    this.#onCompleted = () => {};
    if (this.#failure) throw this.#failure;
  }

  /** Reads everything appended since the last read; one read at a time (the timer's, or stop's). */
  async #read(): Promise<void> {
    try {
      for (;;) {
        const reply = (await this.#options.client.xread(
          'COUNT',
          10_000,
          'STREAMS',
          this.#options.eventsKey,
          this.#lastId,
        )) as [string, StreamEntries][] | null;
        const entries = reply?.[0]?.[1] ?? [];
        for (const [id, fields] of entries) this.#take(id, fields);
        const last = entries.at(-1);
        if (last === undefined) return;
        this.#lastId = last[0];
      }
    } catch (error) {
      this.#failure ??= error as Error;
    }
  }

  #take(id: string, fields: string[]): void {
    let event: string | undefined;
    let jobId: string | undefined;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i] === 'event') event = fields[i + 1];
      else if (fields[i] === 'jobId') jobId = fields[i + 1];
    }
    if (event !== undefined && jobId !== undefined && this.#events.includes(event)) {
      this.#onCompleted(jobId, Number(id.slice(0, id.indexOf('-'))), event);
    }
  }
}
