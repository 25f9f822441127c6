import { CodedError } from '@conveyor/errors';
/**
 * The process already holds as many waiting requests (`waitMs`) or event streams as it allows.
 * Maps to HTTP 503 with `Retry-After`: another API process, or this one a moment later, can serve.
 */
export class SubscriberLimitError extends CodedError {
  readonly code = 'SUBSCRIBER_LIMIT';

  constructor(
    readonly kind: 'wait' | 'stream',
    readonly limit: number,
  ) {
    super(
      kind === 'wait'
        ? `This API process already holds ${limit} waiting requests; retry, or omit waitMs`
        : `This API process already holds ${limit} event streams; retry later`,
    );
    this.name = 'SubscriberLimitError';
  }
}
