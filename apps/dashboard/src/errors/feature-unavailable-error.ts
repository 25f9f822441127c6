/** The console was started without what this endpoint reads (job search, tenants). HTTP 501. */
export class FeatureUnavailableError extends Error {
  readonly code: string;

  constructor(readonly feature: 'search' | 'tenants') {
    super(`${feature === 'search' ? 'Job search' : 'Tenant listing'} is not available here`);
    this.name = 'FeatureUnavailableError';
    this.code = `${feature.toUpperCase()}_UNAVAILABLE`;
  }
}
