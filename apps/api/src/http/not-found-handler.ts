import type { RequestHandler } from 'express';
import { RouteNotFoundError } from '../errors/route-not-found-error.js';

/** The last handler: any request no route took is a 404 in the API's error shape. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new RouteNotFoundError(req.method, req.path.slice(0, 200)));
};
