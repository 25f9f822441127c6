/** The console was started without a job search. HTTP 501. */
export class SearchUnavailableError extends Error {
  readonly code = 'SEARCH_UNAVAILABLE';

  constructor() {
    super('Job search is not available on this dashboard');
    this.name = 'SearchUnavailableError';
  }
}
