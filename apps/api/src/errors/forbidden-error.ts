import { CodedError } from '@conveyor/errors';
import type { ScopeAction } from '../config/app-config.js';

/**
 * The client is authenticated but its scopes (`API_CLIENT_SCOPES`) do not cover the action on
 * the queue. Maps to HTTP 403. Decided from the queue (and whether the client has tenant scopes) alone,
 * before any job is looked up, so the answer says nothing about which jobs exist.
 */
export class ForbiddenError extends CodedError {
  readonly code = 'FORBIDDEN';

  constructor(
    readonly action: ScopeAction,
    readonly queue: string,
    /** Why, when more than the missing scope. */
    reason?: string,
  ) {
    super(
      `This client's scopes do not allow ${action} on queue ${queue}${reason ? ` (${reason})` : ''} (API_CLIENT_SCOPES)`,
    );
    this.name = 'ForbiddenError';
  }
}
