import { CodedError } from '@conveyor/errors';
/** No route matches the method and path. Maps to HTTP 404. */
export class RouteNotFoundError extends CodedError {
  readonly code = 'ROUTE_NOT_FOUND';

  constructor(method: string, path: string) {
    super(`No route ${method} ${path}`);
    this.name = 'RouteNotFoundError';
  }
}
