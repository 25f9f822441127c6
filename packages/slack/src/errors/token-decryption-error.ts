import { CodedError } from '@conveyor/errors';

/**
 * A sealed Slack installation could not be opened: its key version is not among
 * `SLACK_TOKEN_ENCRYPTION_KEY`'s, or it fails authentication (another key, or altered bytes).
 */
export class TokenDecryptionError extends CodedError {
  readonly code = 'SLACK_TOKEN_UNDECRYPTABLE';

  constructor(readonly reason: string) {
    super(`A stored Slack installation cannot be decrypted: ${reason}`);
    this.name = 'TokenDecryptionError';
  }
}
