/** A candidate as a guess remembers it. */
export interface GuessedCandidate {
  /** Its source's place among the search's sources. */
  source: number;
  id: string;
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
 * when the ranges pick the same ones again: one round trip. A guess that no longer holds costs the read of
 * at most one page, then the page is read as without a guess.
 */
export class PageGuesses {
  readonly #maxSearches: number;
  readonly #guesses = new Map<string, readonly GuessedCandidate[]>();

  /** @param maxSearches searches remembered (at most one page of candidates each) */
  constructor(maxSearches = DEFAULT_MAX_SEARCHES) {
    this.#maxSearches = maxSearches;
  }

  /** What the last page of `search` picked first, if remembered. */
  get(search: string): readonly GuessedCandidate[] | undefined {
    const guess = this.#guesses.get(search);
    if (guess !== undefined) {
      this.#guesses.delete(search);
      this.#guesses.set(search, guess);
    }
    return guess;
  }

  /** Remembers what the first read of `search` picked; nothing picked forgets it. */
  remember(search: string, picked: readonly GuessedCandidate[]): void {
    this.#guesses.delete(search);
    if (picked.length === 0) return;
    this.#guesses.set(search, picked);
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
