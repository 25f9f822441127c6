/** The request has no valid `Authorization: Bearer <secret>` header. Maps to HTTP 401. */
export class UnauthorizedError extends Error {
  readonly code = 'UNAUTHORIZED';

  constructor(reason: string) {
    super(`${reason}: send Authorization: Bearer <secret> with a secret from API_TOKENS`);
    this.name = 'UnauthorizedError';
  }
}
