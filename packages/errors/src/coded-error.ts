/** Marks the prototypes of coded errors, also those that extend another library's error. */
const CODED = Symbol.for('conveyor.coded-error');

/**
 * The base of every error Conveyor raises on purpose: a stable, machine-readable `code` beside
 * the human message. Callers branch on `code` (or the subclass), never on the message; each app
 * maps codes to its own answers in one place (the API: `src/http/error-handler.ts`), so packages
 * below the apps raise errors that say nothing of HTTP.
 *
 * A subclass fixes its code as a literal (`readonly code = 'JOB_NOT_FOUND'`) and sets `name`. An
 * error that must extend another class (BullMQ's `UnrecoverableError`) extends
 * {@link withCode}`(ThatClass)` instead, and is a `CodedError` all the same for `instanceof`.
 */
export abstract class CodedError extends Error {
  /** What went wrong, as `UPPER_SNAKE_CASE`; part of the contract, unlike the message. */
  abstract readonly code: string;
}
Object.defineProperty(CodedError.prototype, CODED, { value: true });
// `instanceof CodedError` holds for `withCode` errors too; a subclass (which inherits this
// static) still checks its own prototype chain.
Object.defineProperty(CodedError, Symbol.hasInstance, {
  value(this: abstract new (...args: never[]) => unknown, value: unknown): boolean {
    return this === CodedError
      ? isCodedError(value)
      : Function.prototype[Symbol.hasInstance].call(this, value);
  },
});

// biome-ignore lint/suspicious/noExplicitAny: a mixin's constructor must take any arguments.
type ErrorClass = abstract new (...args: any[]) => Error;

/**
 * `Base` with a code: for an error that must extend another class than `Error` (BullMQ decides
 * "do not retry" by `instanceof UnrecoverableError`).
 */
export function withCode<Base extends ErrorClass>(Base: Base): Base {
  // The subclass declares its `code` itself: a member declared here would need `override` in
  // every subclass once compiled to declarations.
  abstract class Coded extends Base {}
  Object.defineProperty(Coded.prototype, CODED, { value: true });
  return Coded;
}

/** True when `error` is one of Conveyor's own errors (a {@link CodedError}). */
export function isCodedError(error: unknown): error is CodedError {
  return (
    error instanceof Error &&
    (error as unknown as Record<symbol, unknown>)[CODED] === true &&
    typeof (error as { code?: unknown }).code === 'string'
  );
}
