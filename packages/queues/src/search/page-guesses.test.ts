import { describe, expect, it } from 'vitest';
import { PageGuesses } from './page-guesses.js';

describe('PageGuesses', () => {
  const pick = (...ids: string[]) => ids.map((id) => ({ source: 0, id }));

  it('remembers the last pick of each search, and forgets a search that picked nothing', () => {
    const guesses = new PageGuesses();
    guesses.remember('a', pick('1', '2'));
    guesses.remember('b', pick('3'));
    guesses.remember('a', pick('4'));
    expect(guesses.get('a')).toEqual(pick('4'));
    expect(guesses.get('b')).toEqual(pick('3'));
    guesses.remember('b', []);
    expect(guesses.get('b')).toBeUndefined();
    expect(guesses.size).toBe(1);
  });

  it('keeps at most its number of searches, the least recently asked dropped first', () => {
    const guesses = new PageGuesses(2);
    guesses.remember('a', pick('1'));
    guesses.remember('b', pick('2'));
    guesses.get('a');
    guesses.remember('c', pick('3'));
    expect(guesses.get('b')).toBeUndefined();
    expect(guesses.get('a')).toEqual(pick('1'));
    expect(guesses.get('c')).toEqual(pick('3'));
    expect(guesses.size).toBe(2);
  });
});
