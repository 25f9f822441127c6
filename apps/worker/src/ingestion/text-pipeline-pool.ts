import { Worker } from 'node:worker_threads';
import { DocumentOutOfMemoryError } from '../errors/document-out-of-memory-error.js';
import { DocumentTooDeepError } from '../errors/document-too-deep-error.js';
import type { TextChunk } from './chunk-text.js';
import type { ProcessedText, TextPipelineInput } from './text-pipeline.js';
import type { ThreadAnswer } from './text-pipeline-thread.js';

/** Options for {@link TextPipelinePool}. */
export interface TextPipelinePoolOptions {
  /**
   * Threads at most; each processes one document at a time, others wait their turn.
   * @defaultValue 2
   */
  threads?: number;
  /**
   * Heap limit of each thread, in MB (V8's old generation). A document whose processing needs
   * more fails for good with {@link DocumentOutOfMemoryError}; its thread is replaced.
   * @defaultValue {@link DEFAULT_THREAD_MAX_HEAP_MB}
   */
  maxHeapMb?: number;
  /**
   * The thread's entry module.
   * @defaultValue the compiled `text-pipeline-thread.js` (from the sources, the one in `dist/`)
   */
  script?: URL;
}

/** The heap limit of a thread when none is given. */
export const DEFAULT_THREAD_MAX_HEAP_MB = 512;

/**
 * A heap limit for documents of up to `maxBytes`: 64 bytes of heap per byte of document, which
 * holds the heaviest legal HTML measured (10 MiB of elements needed 256-512 MB), at least 128 MB.
 */
export function threadHeapMbFor(maxBytes: number): number {
  return Math.min(16_384, Math.max(128, Math.ceil((maxBytes * 64) / (1024 * 1024))));
}

interface Task {
  id: number;
  input: TextPipelineInput;
  resolve(result: ProcessedText): void;
  reject(error: unknown): void;
  signal: AbortSignal | undefined;
  onAbort?: () => void;
}

interface Slot {
  thread: Worker;
  task?: Task | undefined;
}

/**
 * Node 20 cannot run TypeScript in a thread: run from the sources (vitest), the pool uses the
 * compiled thread in `dist/`, which the worker's test setup rebuilds when the sources are newer.
 */
function defaultScript(): URL {
  return import.meta.url.endsWith('.ts')
    ? new URL('../../dist/ingestion/text-pipeline-thread.js', import.meta.url)
    : new URL('./text-pipeline-thread.js', import.meta.url);
}

const SOURCE_CONDITION = '@conveyor/source';

/**
 * The thread's Node flags: the process's, less the condition that resolves workspace packages
 * to their TypeScript sources (set under vitest), since the compiled thread imports packages
 * (`@conveyor/errors`) that Node 20 must load compiled too.
 */
function threadExecArgv(): string[] {
  const argv: string[] = [];
  const given = process.execArgv;
  for (let index = 0; index < given.length; index++) {
    const arg = given[index] as string;
    if ((arg === '--conditions' || arg === '-C') && given[index + 1] === SOURCE_CONDITION) {
      index++;
    } else if (
      !(arg.startsWith('--conditions=') || arg.startsWith('-C=')) ||
      !arg.endsWith(`=${SOURCE_CONDITION}`)
    ) {
      argv.push(arg);
    }
  }
  return argv;
}

function toError(answer: Extract<ThreadAnswer, { ok: false }>['error']): Error {
  if (answer.code === 'INGEST_TOO_DEEP' && answer.maxDepth !== undefined) {
    return new DocumentTooDeepError(answer.maxDepth);
  }
  const error = new Error(answer.message);
  error.name = answer.name;
  return error;
}

/**
 * Runs {@link processText} (extract, normalise, hash, chunk) in a small pool of worker threads.
 *
 * Why threads rather than slicing the work per tick: html-to-text is synchronous and not ours to
 * slice (10 MiB of HTML is seconds of CPU in one call), and a thread bounds every step at once.
 * The event loop that renews BullMQ locks and answers `/healthz` only copies the text in and the
 * result out. Each thread's heap is capped (`maxHeapMb`), so one document cannot take the memory
 * of the process: past it V8 ends the thread, the document fails for good and a new thread takes
 * the next one. (Node cannot contain every such overrun: an allocation far larger than what is
 * left can still abort the process, nodejs/node#47224; the limit is sized for legal documents to
 * stay well inside it.) Threads start on first use, are kept while idle (unreferenced, so they never hold
 * the process open) and are ended by {@link close}; a cancelled job's thread is terminated.
 */
export class TextPipelinePool {
  readonly #threads: number;
  readonly #maxHeapMb: number;
  readonly #script: URL;
  readonly #slots: Slot[] = [];
  readonly #queue: Task[] = [];
  #nextId = 1;
  #closed = false;

  constructor(options: TextPipelinePoolOptions = {}) {
    this.#threads = Math.max(1, options.threads ?? 2);
    this.#maxHeapMb = options.maxHeapMb ?? DEFAULT_THREAD_MAX_HEAP_MB;
    this.#script = options.script ?? defaultScript();
  }

  /** Threads running now (busy or idle). */
  get size(): number {
    return this.#slots.length;
  }

  /** Processes one document in a thread; rejects with the signal's reason when it aborts. */
  run(input: TextPipelineInput, signal?: AbortSignal): Promise<ProcessedText> {
    if (this.#closed) return Promise.reject(new Error('The text pipeline pool is closed'));
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const task: Task = { id: this.#nextId++, input, resolve, reject, signal };
      if (signal) {
        task.onAbort = () => this.#abort(task);
        signal.addEventListener('abort', task.onAbort, { once: true });
      }
      this.#queue.push(task);
      this.#dispatch();
    });
  }

  /** Ends every thread; documents in progress or waiting fail. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const task of this.#queue.splice(0)) {
      this.#settle(task, new Error('The text pipeline pool is closed'));
    }
    await Promise.all([...this.#slots].map((slot) => this.#end(slot)));
  }

  #dispatch(): void {
    while (this.#queue.length > 0 && !this.#closed) {
      const slot =
        this.#slots.find((candidate) => !candidate.task) ??
        (this.#slots.length < this.#threads ? this.#spawn() : undefined);
      if (!slot) return;
      const task = this.#queue.shift() as Task;
      slot.task = task;
      slot.thread.ref();
      slot.thread.postMessage({ id: task.id, input: task.input });
    }
  }

  #spawn(): Slot {
    const slot: Slot = {
      thread: new Worker(this.#script, {
        execArgv: threadExecArgv(),
        resourceLimits: { maxOldGenerationSizeMb: this.#maxHeapMb },
      }),
    };
    slot.thread.on('message', (answer: ThreadAnswer) => {
      const task = slot.task;
      if (!task || task.id !== answer.id) return;
      slot.task = undefined;
      slot.thread.unref();
      if (answer.ok) {
        const chunks: TextChunk[] = [];
        for (let index = 0; index < answer.bounds.length / 2; index++) {
          const start = answer.bounds[index * 2] as number;
          const end = answer.bounds[index * 2 + 1] as number;
          chunks.push({ index, text: answer.text.slice(start, end), start, end });
        }
        this.#settle(task, undefined, { text: answer.text, sha256: answer.sha256, chunks });
      } else {
        this.#settle(task, toError(answer.error));
      }
      this.#dispatch();
    });
    // A thread that crashes fails its document and is replaced. Out of memory, the document is
    // at fault and fails for good; another crash (a bug) leaves the job to its retries.
    const lost = (error: Error) => {
      const task = slot.task;
      this.#forget(slot);
      if (task) {
        const outOfMemory = (error as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY';
        this.#settle(task, outOfMemory ? new DocumentOutOfMemoryError(this.#maxHeapMb) : error);
      }
      this.#dispatch();
    };
    slot.thread.on('error', lost);
    slot.thread.on('exit', (code) => lost(new Error(`Text pipeline thread exited (${code})`)));
    this.#slots.push(slot);
    return slot;
  }

  #abort(task: Task): void {
    const reason = task.signal?.reason;
    const queued = this.#queue.indexOf(task);
    if (queued >= 0) {
      this.#queue.splice(queued, 1);
      this.#settle(task, reason);
      return;
    }
    const slot = this.#slots.find((candidate) => candidate.task === task);
    if (!slot) return;
    this.#forget(slot);
    this.#settle(task, reason);
    void slot.thread.terminate();
    this.#dispatch();
  }

  async #end(slot: Slot): Promise<void> {
    const task = slot.task;
    this.#forget(slot);
    if (task) this.#settle(task, new Error('The text pipeline pool is closed'));
    await slot.thread.terminate();
  }

  #forget(slot: Slot): void {
    slot.task = undefined;
    const index = this.#slots.indexOf(slot);
    if (index >= 0) this.#slots.splice(index, 1);
  }

  #settle(task: Task, error: unknown, result?: ProcessedText): void {
    if (task.onAbort) task.signal?.removeEventListener('abort', task.onAbort);
    if (result) task.resolve(result);
    else task.reject(error);
  }
}
