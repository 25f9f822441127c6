import { fileURLToPath } from 'node:url';
import {
  InvalidSearchCursorError,
  isQueueName,
  JobCanceller,
  JobFinishedError,
  JobNotFoundError,
  MAX_SEARCH_LIMIT,
  type Producer,
  QUEUE_NAMES,
  type QueueName,
  RedisUnavailableError,
  UnknownQueueError,
  UnknownSearchKeyError,
  withDeadline,
} from '@conveyor/queues';
import type { RedisConnection } from '@conveyor/redis';
import type { Logger } from '@conveyor/telemetry';
import type { Queue } from 'bullmq';
import express, { type ErrorRequestHandler, type Request, type Router } from 'express';
import { z } from 'zod';
import type { BoardQueue } from '../board-queue.js';
import { ConsoleRequestError } from '../errors/console-request-error.js';
import { FeatureUnavailableError } from '../errors/feature-unavailable-error.js';
import { packageDirectory } from '../package-directory.js';
import { requestPath } from '../request-path.js';
import type { ConsoleEvent, ConsoleEventHub, ConsoleListener } from './console-event-hub.js';
import { consoleMutationGuard } from './console-mutation-guard.js';
import type { QueueSnapshot } from './read-queue-snapshot.js';

/** Where the console's page and its own scripts live, beside `src/` and `dist/`. */
const PUBLIC_DIRECTORY = fileURLToPath(new URL('../../public/console/', import.meta.url));

/** Most dead letters one replay request may name. */
export const MAX_REPLAY_IDS = 500;
/** Jobs listed per state in the cancel panel. */
const JOBS_LISTED = 20;
/** Time between two comments on an idle event stream, so proxies and the server keep it open. */
const KEEP_ALIVE_MS = 25_000;

/** Paths of the dashboard's pages, each ending with `/`. */
export interface ConsoleLinks {
  /** Bull Board over the catalog queues. */
  board: string;
  /** Bull Board over the dead-letter queues. */
  deadLetterBoard: string;
  /** The console itself. */
  console: string;
}

/** A job a search found, as the console shows it. */
export interface FoundJob {
  queue: QueueName;
  id: string;
  name: string;
  state: string;
  tenant?: string | null;
  /** ISO time (or epoch ms) it was enqueued; a dead letter's, recorded. */
  createdAt: string | number;
  finishedAt?: string | number;
  failedReason?: string;
  /** True for an entry of the queue's dead-letter queue (`id` is the dead letter's). */
  deadLetter: boolean;
}

/** The job search the console offers: by a business key's value, newest first. */
export interface ConsoleSearch {
  /** The keys one may search by. */
  keys: readonly string[];
  search(query: {
    key: string;
    value: string;
    limit: number;
    cursor?: string | undefined;
  }): Promise<{ jobs: FoundJob[]; next?: string }>;
}

/** A tenant of a queue, as the console lists it. */
export interface TenantRow {
  tenant: string;
  /** Its jobs not started yet. */
  waiting: number;
  /** Its jobs running now. */
  active: number;
  /** Until when (epoch ms) it is paused or rate-limited, when it is. */
  limitedUntil?: number;
}

/** Options for {@link createConsoleRouter}. */
export interface CreateConsoleRouterOptions {
  /** The board's queues (catalog and dead-letter queues), read for counts, jobs and cancels. */
  queues: readonly BoardQueue[];
  /** Lists and replays dead letters (a replay takes the catalog's job options). */
  producer: Producer;
  /** Fail-fast connection the canceller writes with. */
  connection: RedisConnection;
  /** The live feed behind `api/events`. */
  events: ConsoleEventHub;
  /** Hide replay and cancel on the page and answer their endpoints 403. */
  readOnly: boolean;
  links: ConsoleLinks;
  /**
   * The search box's backend; without it `api/search` answers 501.
   * @defaultValue none
   */
  search?: ConsoleSearch;
  /**
   * Reads the tenants of a queue with work waiting or running, or limited, largest backlog
   * first; without it `api/queues/:queue/tenants` answers 501.
   * @defaultValue none
   */
  readTenants?: (queue: Queue) => Promise<{ tenants: TenantRow[]; next?: string }>;
  logger: Logger;
  /**
   * Longest a request may wait on Redis before it is answered 503.
   * @defaultValue 5000
   */
  redisTimeoutMs?: number;
}

const pageQuery = z.object({
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const replayBody = z.object({
  ids: z.array(z.string().min(1).max(512)).min(1).max(MAX_REPLAY_IDS),
});
const searchQuery = z.object({
  key: z.string().min(1).max(100),
  value: z.string().min(1).max(1000),
  limit: z.coerce.number().int().min(1).max(MAX_SEARCH_LIMIT).default(50),
  cursor: z.string().max(1000).optional(),
});
const replaySearchBody = z.object({
  key: z.string().min(1).max(100),
  value: z.string().min(1).max(1000),
});
/** Most dead letters one "replay all that match" replays; the operator repeats it for more. */
export const MAX_REPLAY_MATCHES = 1000;
const jobsQuery = z.object({ state: z.enum(['active', 'waiting', 'prioritized', 'delayed']) });

/** Parses `input` with `schema`, or throws a 400 naming the first problem. */
function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new ConsoleRequestError(`${issue?.path.join('.') || 'request'}: ${issue?.message}`);
}

/** The catalog queue named by `:queue`, or a 404. */
function queueParam(req: Request): QueueName {
  const name = String(req.params.queue);
  if (!isQueueName(name)) throw new UnknownQueueError(name, QUEUE_NAMES);
  return name;
}

/**
 * Conveyor's operator console, as an Express router mounted beside Bull Board (same login, same
 * read-only switch): its page and scripts (no build step; uPlot from its package), and the JSON
 * and server-sent-event endpoints the page uses.
 *
 * - `GET api/overview`: read-only flag, links, a snapshot of every catalog queue;
 * - `GET api/events`: live snapshots and job state changes (see {@link ConsoleEventHub});
 * - `GET api/queues/:queue/dead-letters`, `POST …/dead-letters/replay` `{ ids }`;
 * - `GET api/queues/:queue/jobs?state=`, `POST api/queues/:queue/jobs/:id/cancel`;
 * - `GET api/search?key=&value=`, `POST api/dead-letters/replay-search` `{ key, value }`;
 * - `GET api/queues/:queue/tenants`.
 *
 * Replay and cancel pass {@link consoleMutationGuard}: refused in read-only mode, and only from
 * the console's own page.
 */
export function createConsoleRouter(options: CreateConsoleRouterOptions): Router {
  const { events, links, logger, producer } = options;
  const timeoutMs = options.redisTimeoutMs ?? 5000;
  const canceller = new JobCanceller(options.connection);
  const byName = new Map(options.queues.map(({ queue }) => [queue.name, queue]));
  const boardQueue = (name: string): Queue => {
    const queue = byName.get(name);
    if (!queue) throw new UnknownQueueError(name, QUEUE_NAMES);
    return queue;
  };
  const snapshot = (name: QueueName): Promise<QueueSnapshot> =>
    withDeadline(events.snapshot(name), timeoutMs);
  const guard = consoleMutationGuard(options.readOnly);
  const searchOrThrow = (): ConsoleSearch => {
    if (!options.search) throw new FeatureUnavailableError('search');
    return options.search;
  };

  const router = express.Router();
  router.get('/', (req, res, next) => {
    // Relative links of the page resolve against a path ending with `/`.
    if (!req.originalUrl.split('?')[0]?.endsWith('/')) {
      res.redirect(302, links.console);
      return;
    }
    next();
  });
  router.use(express.static(PUBLIC_DIRECTORY, { index: 'index.html', maxAge: 0 }));
  router.use('/vendor/uplot', express.static(packageDirectory('uplot', 1), { maxAge: '1d' }));
  router.use('/api', express.json({ limit: '64kb' }));

  router.get('/api/overview', async (_req, res) => {
    const queues = await Promise.all(QUEUE_NAMES.map(snapshot));
    res.set('Cache-Control', 'no-store').json({
      readOnly: options.readOnly,
      links,
      searchKeys: options.search?.keys ?? [],
      features: {
        search: options.search !== undefined,
        tenants: options.readTenants !== undefined,
      },
      queues,
    });
  });

  router.get('/api/events', async (req, res) => {
    let open = true;
    const write = (event: ConsoleEvent) =>
      res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    /** What other pages' readers tell before this stream's headers are sent; written after. */
    let early: ConsoleEvent[] | undefined = [];
    const listener: ConsoleListener = {
      event: (event) => {
        if (!open) return;
        if (early) early.push(event);
        else write(event);
      },
      close: () => res.end(),
    };
    // Resolves once the queues' readers read every later event (they start for the first page):
    // nothing that happens after the page's first snapshots below is missed.
    const unsubscribe = await events.subscribe(listener, timeoutMs);
    if (!unsubscribe) {
      res
        .status(503)
        .set('Retry-After', '10')
        .json({
          error: { code: 'TOO_MANY_STREAMS', message: 'Too many open console pages' },
        });
      return;
    }
    if (res.closed || res.writableEnded) {
      // The page left, or the hub closed, while the readers started.
      unsubscribe();
      return;
    }
    // The server closes connections silent for a while; this one is silent by design.
    req.socket.setTimeout(0);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
    keepAlive.unref();
    res.once('close', () => {
      open = false;
      clearInterval(keepAlive);
      unsubscribe();
    });
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    res.write('retry: 3000\n\n');
    for (const event of early) write(event);
    early = undefined;
    // Subscribed first: a change during these reads arrives as a later snapshot, not lost.
    for (const name of QUEUE_NAMES) {
      snapshot(name).then(
        (value) => listener.event({ type: 'snapshot', snapshot: value }),
        (error: unknown) => logger.warn({ err: error, queue: name }, 'console snapshot failed'),
      );
    }
  });

  router.get('/api/queues/:queue/dead-letters', async (req, res) => {
    const queue = queueParam(req);
    const page = parse(pageQuery, req.query);
    const list = await withDeadline(producer.deadLetters(queue).list(page), timeoutMs);
    res.set('Cache-Control', 'no-store').json(list);
  });

  /** Replays dead letters one at a time (a few writes each: a bulk must not starve others). */
  const replayAll = async (letters: readonly { queue: QueueName; id: string }[]) => {
    const replayed: { queue: QueueName; id: string; jobId: string }[] = [];
    const failed: { queue: QueueName; id: string; code: string; message: string }[] = [];
    for (const { queue, id } of letters) {
      try {
        const jobId = await producer.replayDeadLetter(queue, id);
        events.follow(queue, jobId);
        replayed.push({ queue, id, jobId });
      } catch (error) {
        // Replayed meanwhile by someone else, or trimmed: reported, the others go on.
        if (!(error instanceof JobNotFoundError)) throw error;
        failed.push({ queue, id, code: error.code, message: error.message });
      }
    }
    for (const queue of new Set(letters.map((letter) => letter.queue))) events.touch(queue);
    logger.info({ replayed: replayed.length, failed: failed.length }, 'dead letters replayed');
    return { replayed, failed };
  };

  router.post('/api/queues/:queue/dead-letters/replay', guard, async (req, res) => {
    const queue = queueParam(req);
    const { ids } = parse(replayBody, req.body);
    res.json(await replayAll([...new Set(ids)].map((id) => ({ queue, id }))));
  });

  router.get('/api/search', async (req, res) => {
    const query = parse(searchQuery, req.query);
    const result = await withDeadline(searchOrThrow().search(query), timeoutMs);
    res.set('Cache-Control', 'no-store').json(result);
  });

  router.post('/api/dead-letters/replay-search', guard, async (req, res) => {
    const { key, value } = parse(replaySearchBody, req.body);
    const search = searchOrThrow();
    const letters: { queue: QueueName; id: string }[] = [];
    let cursor: string | undefined;
    do {
      const page = await withDeadline(
        search.search({ key, value, limit: MAX_SEARCH_LIMIT, ...(cursor ? { cursor } : {}) }),
        timeoutMs,
      );
      for (const job of page.jobs) if (job.deadLetter) letters.push(job);
      cursor = page.next;
    } while (cursor !== undefined && letters.length < MAX_REPLAY_MATCHES);
    res.json(await replayAll(letters.slice(0, MAX_REPLAY_MATCHES)));
  });

  router.get('/api/queues/:queue/tenants', async (req, res) => {
    const queue = boardQueue(queueParam(req));
    if (!options.readTenants) throw new FeatureUnavailableError('tenants');
    const page = await withDeadline(options.readTenants(queue), timeoutMs);
    res.set('Cache-Control', 'no-store').json(page);
  });

  router.get('/api/queues/:queue/jobs', async (req, res) => {
    const queue = boardQueue(queueParam(req));
    const { state } = parse(jobsQuery, req.query);
    const jobs = await withDeadline(
      queue.getJobs([state], 0, JOBS_LISTED - 1, state !== 'active'),
      timeoutMs,
    );
    res.set('Cache-Control', 'no-store').json({
      jobs: jobs.filter(Boolean).map((job) => ({
        id: String(job.id),
        name: job.name,
        state,
        createdAt: job.timestamp,
        processedOn: job.processedOn ?? null,
        attemptsMade: job.attemptsMade,
      })),
    });
  });

  router.post('/api/queues/:queue/jobs/:id/cancel', guard, async (req, res) => {
    const name = queueParam(req);
    const queue = boardQueue(name);
    const id = String(req.params.id);
    const result = await withDeadline(
      queue.getJob(id).then((job) => canceller.cancel(queue, id, job ?? undefined)),
      timeoutMs,
    );
    events.touch(name);
    if (result.state === 'active') events.follow(name, id);
    logger.info({ queue: name, id, state: result.state }, 'job cancelled from the console');
    res.status(202).json(result);
  });

  router.use('/api', (_req, res) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: 'Not found' } });
  });
  const onError: ErrorRequestHandler = (error, req, res, next) => {
    const status = statusOf(error);
    if (status === undefined || res.headersSent) {
      next(error);
      return;
    }
    if (status === 503) logger.warn({ err: error, path: requestPath(req) }, 'console: Redis');
    const { code, message } = error as { code: string; message: string };
    res.status(status).json({ error: { code, message } });
  };
  router.use(onError);
  return router;
}

/** The HTTP status of an error the console answers itself; undefined for a 500. */
function statusOf(error: unknown): number | undefined {
  if (
    error instanceof ConsoleRequestError ||
    error instanceof UnknownSearchKeyError ||
    error instanceof InvalidSearchCursorError
  ) {
    return 400;
  }
  if (error instanceof UnknownQueueError || error instanceof JobNotFoundError) return 404;
  if (error instanceof JobFinishedError) return 409;
  if (error instanceof RedisUnavailableError) return 503;
  if (error instanceof FeatureUnavailableError) return 501;
  return undefined;
}
