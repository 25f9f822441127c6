import { CodedError } from '@conveyor/errors';
/**
 * Storing the jobs would take a client past its quota of jobs waiting or bytes stored: nothing
 * was stored; room comes back as workers take the client's jobs, so a later retry may succeed.
 */
export class QuotaExceededError extends CodedError {
  readonly code = 'QUOTA_EXCEEDED';

  constructor(
    readonly client: string,
    readonly quota: 'jobs' | 'bytes',
    readonly limit: number,
    readonly current: number,
  ) {
    super(
      quota === 'jobs'
        ? `Quota reached: ${current} jobs of this client are waiting, the limit is ${limit}`
        : `Quota reached: this client's waiting jobs hold ${current} bytes, the limit is ${limit}`,
    );
    this.name = 'QuotaExceededError';
  }
}
