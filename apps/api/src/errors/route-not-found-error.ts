/** No route matches the method and path. Maps to HTTP 404. */
export class RouteNotFoundError extends Error {
  readonly code = 'ROUTE_NOT_FOUND';

  constructor(method: string, path: string) {
    super(`No route ${method} ${path}`);
    this.name = 'RouteNotFoundError';
  }
}
