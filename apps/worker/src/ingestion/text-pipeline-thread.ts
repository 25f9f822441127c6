import { parentPort } from 'node:worker_threads';
import { processText, type TextPipelineInput } from './text-pipeline.js';

/** A task sent to a {@link TextPipelinePool} thread. */
export interface ThreadTask {
  id: number;
  input: TextPipelineInput;
}

/** A thread's answer: chunks as `[start, end, start, end, ...]`, rebuilt by the pool. */
export type ThreadAnswer =
  | { id: number; ok: true; text: string; sha256: string; bounds: Uint32Array }
  | {
      id: number;
      ok: false;
      error: { name: string; message: string; code?: string; maxDepth?: number };
    };

// The entry point of a TextPipelinePool thread: one task at a time, in the order received.
parentPort?.on('message', ({ id, input }: ThreadTask) => {
  let answer: ThreadAnswer;
  try {
    const { text, sha256, chunks } = processText(input);
    const bounds = new Uint32Array(chunks.length * 2);
    chunks.forEach((chunk, index) => {
      bounds[index * 2] = chunk.start;
      bounds[index * 2 + 1] = chunk.end;
    });
    answer = { id, ok: true, text, sha256, bounds };
    parentPort?.postMessage(answer, [bounds.buffer]);
    return;
  } catch (caught) {
    const error = caught instanceof Error ? caught : new Error(String(caught));
    const { code, maxDepth } = error as { code?: unknown; maxDepth?: unknown };
    answer = {
      id,
      ok: false,
      error: {
        name: error.name,
        message: error.message,
        ...(typeof code === 'string' ? { code } : {}),
        ...(typeof maxDepth === 'number' ? { maxDepth } : {}),
      },
    };
  }
  parentPort?.postMessage(answer);
});
