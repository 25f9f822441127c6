import { CodedError } from '@conveyor/errors';
/** The body is not acceptable JSON: a syntax error, empty, too deeply nested, or `__proto__` keys. Maps to HTTP 400. */
export class InvalidJsonError extends CodedError {
  readonly code = 'INVALID_JSON';

  constructor(problem: string) {
    super(`Invalid JSON: ${problem}`);
    this.name = 'InvalidJsonError';
  }
}
