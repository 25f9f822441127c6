import { describe, expect, it } from 'vitest';
import { PageGuesses } from './page-guesses.js';

describe('PageGuesses', () => {
  const pick = (...ids: string[]) => ids.map((id) => ({ source: 0, id }));

  it('guesses a search whose last two picks were the same, and forgets one that picked nothing', () => {
    const guesses = new PageGuesses();
    guesses.remember('a', pick('1', '2'));
    guesses.remember('b', pick('3'));
    expect(guesses.get('a')).toBeUndefined();
    guesses.remember('a', pick('1', '2'));
    expect(guesses.get('a')).toEqual(pick('1', '2'));
    // A miss: no guess until the same pick comes twice again.
    guesses.remember('a', pick('4'));
    expect(guesses.get('a')).toBeUndefined();
    guesses.remember('a', pick('4'));
    expect(guesses.get('a')).toEqual(pick('4'));
    guesses.remember('b', pick('3'));
    expect(guesses.get('b')).toEqual(pick('3'));
    guesses.remember('b', []);
    expect(guesses.get('b')).toBeUndefined();
    expect(guesses.size).toBe(1);
  });

  it('keeps at most its number of searches, the least recently asked dropped first', () => {
    const guesses = new PageGuesses(2);
    const twice = (search: string, picked: ReturnType<typeof pick>) => {
      guesses.remember(search, picked);
      guesses.remember(search, picked);
    };
    twice('a', pick('1'));
    twice('b', pick('2'));
    guesses.get('a');
    twice('c', pick('3'));
    expect(guesses.get('b')).toBeUndefined();
    expect(guesses.get('a')).toEqual(pick('1'));
    expect(guesses.get('c')).toEqual(pick('3'));
    expect(guesses.size).toBe(2);
  });
});
