import { describe, expect, it } from 'vitest';
import { API_SEMI_SPACE_MB, withYoungGeneration } from './young-generation.js';

describe('withYoungGeneration', () => {
  it('adds the young generation size to the primary arguments', () => {
    expect(withYoungGeneration(['--enable-source-maps'], '')).toEqual([
      '--enable-source-maps',
      `--max-semi-space-size=${API_SEMI_SPACE_MB}`,
    ]);
  });

  it('keeps a size the primary was given, in its arguments or NODE_OPTIONS', () => {
    expect(withYoungGeneration(['--max-semi-space-size=8'], '')).toEqual([
      '--max-semi-space-size=8',
    ]);
    expect(withYoungGeneration(['--max-semi-space-size', '8'], '')).toEqual([
      '--max-semi-space-size',
      '8',
    ]);
    expect(withYoungGeneration([], '--require x.cjs --max-semi-space-size=64')).toEqual([]);
    // Another flag that merely starts alike is not a size.
    expect(withYoungGeneration(['--max-semi-space-sizes'], '')).toHaveLength(2);
  });
});
