import { CodedError } from '@conveyor/errors';
/**
 * Another attempt changed the reply marker of the same event while this one was checking it
 * (two runs of one job overlap after a lost lock). Retrying later settles it without posting twice.
 */
export class SlackReplyInProgressError extends CodedError {
  readonly code = 'SLACK_REPLY_IN_PROGRESS';

  constructor(readonly key: string) {
    super(`Another attempt is replying to ${key}; will check again`);
    this.name = 'SlackReplyInProgressError';
  }
}
