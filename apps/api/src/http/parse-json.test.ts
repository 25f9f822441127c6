import { describe, expect, it } from 'vitest';
import { InvalidJsonError } from '../errors/invalid-json-error.js';
import { MAX_JSON_DEPTH, parseJson } from './parse-json.js';

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('parseJson', () => {
  it('parses ordinary JSON', () => {
    expect(parseJson('{"a":[1,{"b":null}],"c":"x"}')).toEqual({ a: [1, { b: null }], c: 'x' });
    expect(parseJson('"text"')).toBe('text');
  });

  it('rejects syntax errors and empty bodies as InvalidJsonError', () => {
    for (const text of ['', '{', '{"a":1,}', "{'a':1}", 'undefined', '\uFEFF{}']) {
      expect(() => parseJson(text)).toThrow(InvalidJsonError);
    }
  });

  it('accepts nesting up to the limit and rejects one level more', () => {
    expect(() => parseJson(nested(MAX_JSON_DEPTH))).not.toThrow();
    expect(() => parseJson(nested(MAX_JSON_DEPTH + 1))).toThrow(/deeper than 64/);
    expect(() => parseJson(nested(100_000))).toThrow(InvalidJsonError);
  });

  it('rejects __proto__ keys at any depth, and leaves prototypes alone', () => {
    expect(() => parseJson('{"__proto__":{"polluted":true}}')).toThrow(/__proto__/);
    expect(() => parseJson('{"a":[{"b":{"__proto__":1}}]}')).toThrow(/__proto__/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(parseJson('{"constructor":{"prototype":1},"text":"__proto__"}')).toEqual({
      constructor: { prototype: 1 },
      text: '__proto__',
    });
  });
});
