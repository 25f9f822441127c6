import { describe, expect, it } from 'vitest';
import { API_GC_FLAGS, withGcFlags } from './gc-flags.js';

describe('withGcFlags', () => {
  it('adds the GC flags to the primary arguments', () => {
    expect(withGcFlags(['--enable-source-maps'], '')).toEqual([
      '--enable-source-maps',
      ...API_GC_FLAGS,
    ]);
  });

  it('keeps what the primary was given, in its arguments or NODE_OPTIONS, in either spelling', () => {
    expect(withGcFlags(['--max-semi-space-size=8', '--parallel-scavenge'], '')).toEqual([
      '--max-semi-space-size=8',
      '--parallel-scavenge',
    ]);
    expect(
      withGcFlags(['--max_semi_space_size', '8'], '--require x.cjs --noparallel_scavenge'),
    ).toEqual(['--max_semi_space_size', '8']);
    // A flag that merely starts alike sets another option.
    expect(withGcFlags(['--max-semi-space-sizes'], '')).toEqual([
      '--max-semi-space-sizes',
      ...API_GC_FLAGS,
    ]);
  });
});
