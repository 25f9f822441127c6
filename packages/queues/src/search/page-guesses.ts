/** A candidate as a guess remembers it. */
export interface GuessedCandidate {
  /** Its source's place among the search's sources. */
  source: number;
  id: string;
}

/** What a search's first read picked last, and whether the read before picked the same. */
interface Remembered {
  picked: readonly GuessedCandidate[];
  repeated: boolean;
}

/** True when `a` and `b` are the same candidates in the same order. */
function samePicks(a: readonly GuessedCandidate[], b: readonly GuessedCandidate[]): boolean {
  return (
    a.length === b.length &&
    a.every((candidate, index) => {
      const other = b[index];
      return other !== undefined && candidate.source === other.source && candidate.id === other.id;
    })
  );
}

/** Searches a process remembers by default. */
const DEFAULT_MAX_SEARCHES = 256;

/**
 * What the first read of recent searches picked, by search (what decides the pick: the value
 * keys read, the cursor, the page size), least recently used dropped first.
 *
 * A page reads its ranges, then the candidates they pick: two round trips, since the keys of a
 * candidate's job must be declared to the script that reads it, and are known only from the
 * ranges. A search asked again (a console or a client polling a key, the common case) sends the
 * candidates its last page picked without waiting for the ranges' replies, and keeps that read
 * when the ranges pick the same ones again: one round trip. A guess that no longer holds costs a
 * discarded read of at most one page, so a search is guessed only once its last two first reads
 * picked the same candidates: a search whose first page keeps changing (a busy queue polled)
 * reads in two round trips and discards nothing, after at most one miss.
 */
export class PageGuesses {
  readonly #maxSearches: number;
  readonly #guesses = new Map<string, Remembered>();

  /** @param maxSearches searches remembered (at most one page of candidates each) */
  constructor(maxSearches = DEFAULT_MAX_SEARCHES) {
    this.#maxSearches = maxSearches;
  }

  /** What the last pages of `search` picked first, if their last two picks were the same. */
  get(search: string): readonly GuessedCandidate[] | undefined {
    const remembered = this.#guesses.get(search);
    if (remembered === undefined) return undefined;
    this.#guesses.delete(search);
    this.#guesses.set(search, remembered);
    return remembered.repeated ? remembered.picked : undefined;
  }

  /** Remembers what the first read of `search` picked; nothing picked forgets it. */
  remember(search: string, picked: readonly GuessedCandidate[]): void {
    const before = this.#guesses.get(search);
    this.#guesses.delete(search);
    if (picked.length === 0) return;
    const repeated = before !== undefined && samePicks(before.picked, picked);
    this.#guesses.set(search, { picked, repeated });
    if (this.#guesses.size > this.#maxSearches) {
      const oldest = this.#guesses.keys().next().value;
      if (oldest !== undefined) this.#guesses.delete(oldest);
    }
  }

  /** Searches remembered. */
  get size(): number {
    return this.#guesses.size;
  }
}
