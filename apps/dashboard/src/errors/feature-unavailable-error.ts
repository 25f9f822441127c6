import { CodedError } from '@conveyor/errors';

/** The console was started without what this endpoint reads (job search, tenants). HTTP 501. */
export class FeatureUnavailableError extends CodedError {
  readonly code = 'FEATURE_UNAVAILABLE';

  constructor(readonly feature: 'search' | 'tenants') {
    super(`${feature === 'search' ? 'Job search' : 'The tenant listing'} is not available here`);
    this.name = 'FeatureUnavailableError';
  }
}
