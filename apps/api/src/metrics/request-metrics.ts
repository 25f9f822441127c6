import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Counter, Histogram } from 'prom-client';
import { clientOf } from '../auth/authenticated-client.js';

/** Label for requests no route matched, so random paths cannot grow the label set. */
export const UNMATCHED_ROUTE = 'unmatched';

/** The series {@link RequestMetrics} feeds. */
export interface RequestMetricSeries {
  /** `conveyor_http_request_duration_seconds{method,route,status}` */
  duration: Histogram<'method' | 'route' | 'status'>;
  /** `conveyor_api_client_requests_total{status}`, for authenticated requests. */
  clientRequests: Counter<'status'>;
}

type DurationChild = ReturnType<RequestMetricSeries['duration']['labels']>;

/**
 * Observes every request's duration by method, route template (`/v1/queues/:queue/jobs`, never
 * the raw path) and status, and counts authenticated requests (not by client: `/metrics` is
 * open, and client names are for the log).
 */
export class RequestMetrics {
  // prom-client hashes the labels on every observe; a child per label set skips that. The set is
  // bounded: known methods x registered routes x statuses the API answers.
  readonly #durations = new Map<string, DurationChild>();

  readonly #series: RequestMetricSeries;
  constructor(series: RequestMetricSeries) {
    this.#series = series;
  }

  /** Starts timing; `route` is read when the answer is sent. */
  track(req: IncomingMessage, res: ServerResponse, route: () => string): void {
    const started = performance.now();
    res.once('finish', () => {
      const method = req.method ?? 'UNKNOWN';
      const template = route();
      const status = String(res.statusCode);
      const key = `${method} ${template} ${status}`;
      let child = this.#durations.get(key);
      if (child === undefined) {
        child = this.#series.duration.labels(method, template, status);
        this.#durations.set(key, child);
      }
      child.observe((performance.now() - started) / 1000);
      if (clientOf(res) !== undefined) this.#series.clientRequests.inc({ status });
    });
  }

  /**
   * The Express middleware: routes are registered on the app itself, so `req.route.path` is the
   * whole template once a route matched.
   */
  middleware(): RequestHandler {
    return (req, res, next) => {
      this.track(req, res, () => {
        const path = (req.route as { path?: unknown } | undefined)?.path;
        return typeof path === 'string' ? path : UNMATCHED_ROUTE;
      });
      next();
    };
  }
}
