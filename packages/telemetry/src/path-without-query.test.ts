import { describe, expect, it } from 'vitest';
import { pathWithoutQuery } from './path-without-query.js';

describe('pathWithoutQuery', () => {
  it('drops the query string and keeps the path whole', () => {
    expect(pathWithoutQuery('/v1/jobs?access_token=secret&x=1')).toBe('/v1/jobs');
    expect(pathWithoutQuery('/ops/queues/')).toBe('/ops/queues/');
    expect(pathWithoutQuery('/a?')).toBe('/a');
  });
});
