import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Files in `dir` whose name starts with `prefix` and ends with `suffix` (the worker's finished
 * `.jsonl` documents).
 */
export async function countFiles(dir: string, suffix: string, prefix = ''): Promise<number> {
  try {
    return (await readdir(dir)).filter((name) => name.startsWith(prefix) && name.endsWith(suffix))
      .length;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

/**
 * The distinct matches of `pattern` (global) in every file of Redis's AOF folder
 * (`appendonlydir` in Redis 7): what a restart would replay.
 */
export async function tokensInAof(redisDir: string, pattern: RegExp): Promise<Set<string>> {
  const aofDir = join(redisDir, 'appendonlydir');
  const tokens = new Set<string>();
  for (const name of await readdir(aofDir)) {
    const text = await readFile(join(aofDir, name), 'latin1');
    for (const match of text.matchAll(pattern)) tokens.add(match[0]);
  }
  return tokens;
}

/**
 * The ingested documents in `dir`: document id -> chunk count, for every `.jsonl` file whose
 * lines all parse as chunks of that document. A torn or foreign file counts 0 chunks.
 */
export async function readDocuments(dir: string): Promise<Map<string, number>> {
  const documents = new Map<string, number>();
  for (const name of await readdir(dir)) {
    if (!name.endsWith('.jsonl')) continue;
    const lines = (await readFile(join(dir, name), 'utf8')).split('\n').filter(Boolean);
    let documentId = '';
    let whole = lines.length > 0;
    for (const line of lines) {
      try {
        const chunk = JSON.parse(line) as { documentId?: string };
        documentId ||= chunk.documentId ?? '';
        whole &&= chunk.documentId === documentId;
      } catch {
        whole = false;
      }
    }
    if (documentId) documents.set(documentId, whole ? lines.length : 0);
  }
  return documents;
}
