/** One line of a document's JSON Lines file. */
export interface ChunkRecord {
  documentId: string;
  /** 0-based position of the chunk in the document. */
  index: number;
  text: string;
  /** Offsets of the chunk in the document's normalised text: `text === whole.slice(start, end)`. */
  start: number;
  end: number;
  /** sha256 of the whole normalised text: every chunk names the version it belongs to. */
  sha256: string;
}

/** Where a document's chunks go. Writes replace the document's previous chunks as a whole. */
export interface ChunkSink {
  /** Creates what the sink needs (folders); called once at start. */
  prepare(): Promise<void>;
  /** True when the sink holds chunks of `documentId`. */
  has(documentId: string): Promise<boolean>;
  /** Replaces the chunks of `documentId`, atomically: readers see the old set or the new one. */
  write(documentId: string, chunks: ChunkRecord[]): Promise<void>;
}
