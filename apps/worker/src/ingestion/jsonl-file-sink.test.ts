import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnrecoverableError } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SinkRejectedError } from '../errors/sink-rejected-error.js';
import { JsonlFileSink } from './jsonl-file-sink.js';

const chunk = { index: 0, text: 'x', start: 0, end: 1, sha256: '0'.repeat(64) };

describe('JsonlFileSink', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'conveyor-sink-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes a document of the longest id the catalog allows', async () => {
    const sink = new JsonlFileSink(dir);
    const documentId = ':'.repeat(200);
    await sink.write(documentId, [{ ...chunk, documentId }]);
    expect(await sink.has(documentId)).toBe(true);
    expect(await readdir(dir)).toHaveLength(1);
  });

  it('fails permanently when the file system can never accept the path', async () => {
    const sink = new JsonlFileSink(join(dir, 'x'.repeat(300)));
    const write = sink.write('doc', [{ ...chunk, documentId: 'doc' }]);
    await expect(write).rejects.toBeInstanceOf(SinkRejectedError);
    await expect(write).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(write).rejects.toMatchObject({ code: 'INGEST_SINK_REJECTED' });
  });
});
