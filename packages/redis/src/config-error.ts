import { CodedError } from '@conveyor/errors';
/** One invalid or missing configuration value. */
export interface ConfigIssue {
  /** The environment variable at fault, e.g. `REDIS_PORT`. */
  variable: string;
  /** Why it was rejected, in plain words. */
  message: string;
}

/**
 * Thrown when the environment does not describe a usable configuration. Its message names every
 * bad variable at once, so an operator fixes them in one round instead of one per restart.
 */
export class ConfigError extends CodedError {
  readonly code = 'CONFIG_INVALID';

  constructor(readonly issues: ConfigIssue[]) {
    super(
      `Invalid configuration:\n${issues.map((issue) => `  - ${issue.variable}: ${issue.message}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}
