import { describe, expect, it } from 'vitest';
import { CodedError, isCodedError, withCode } from './coded-error.js';

class ExampleError extends CodedError {
  readonly code = 'EXAMPLE';

  constructor() {
    super('an example');
    this.name = 'ExampleError';
  }
}

class Base extends Error {}

class DerivedError extends withCode(Base) {
  readonly code = 'DERIVED';
}

describe('CodedError', () => {
  it('carries its code, message and name, and is told from other errors', () => {
    const error = new ExampleError();
    expect(error).toBeInstanceOf(Error);
    expect({ code: error.code, message: error.message, name: error.name }).toEqual({
      code: 'EXAMPLE',
      message: 'an example',
      name: 'ExampleError',
    });
    expect(isCodedError(error)).toBe(true);
    expect(isCodedError(Object.assign(new Error('x'), { code: 'EXAMPLE' }))).toBe(false);
    expect(isCodedError({ code: 'EXAMPLE', message: 'x' })).toBe(false);
  });

  it('covers an error that extends another class, without confusing subclasses', () => {
    const derived = new DerivedError('derived');
    expect(derived).toBeInstanceOf(Base);
    expect(derived).toBeInstanceOf(CodedError);
    expect(isCodedError(derived)).toBe(true);
    expect(derived.code).toBe('DERIVED');
    expect(derived instanceof ExampleError).toBe(false);
    expect(new ExampleError() instanceof DerivedError).toBe(false);
    expect(new Base('plain') instanceof CodedError).toBe(false);
  });
});
