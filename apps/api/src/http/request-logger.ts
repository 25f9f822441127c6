import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { clientAddress, type TrustFunction } from '@conveyor/runtime';
import { type Logger, pathWithoutQuery } from '@conveyor/telemetry';
import { pinoHttp } from 'pino-http';
import { clientOf } from '../auth/authenticated-client.js';

/** An `X-Request-Id` from a proxy is reused only when it is short and plain. */
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** pino-http's middleware: callable with or without Express's `next`. */
export type RequestLogger = (req: IncomingMessage, res: ServerResponse, next?: () => void) => void;

/** Adds the authenticated client's name to the request's final log line. */
const withClient = (_req: IncomingMessage, res: ServerResponse, value: Record<string, unknown>) => {
  const client = clientOf(res);
  return client === undefined ? value : { ...value, client };
};

/**
 * pino-http: one JSON line per request with method, path (never the query string: a caller may
 * put a token there), status, duration, request id, the client name and its address
 * (`remoteAddress`: resolved through `trust`, the app's `TRUST_PROXY`, as the throttles count it,
 * so behind a proxy it names the client, not the proxy). Only chosen request fields are serialised (no headers at all), so a bearer token,
 * Slack signature or cookie cannot reach the log; the logger's redaction paths are the second
 * line of defence. Serialisers read the raw objects (no intermediate copies with every header),
 * which matters on the enqueue path.
 */
export function createRequestLogger(logger: Logger, trust: TrustFunction): RequestLogger {
  return pinoHttp({
    logger,
    wrapSerializers: false,
    genReqId(req: IncomingMessage, res: ServerResponse) {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
      res.setHeader('x-request-id', id);
      return id;
    },
    customLogLevel(_req, res, error) {
      if (error || res.statusCode >= 500) return 'error';
      if (res.statusCode === 401 || res.statusCode === 429) return 'warn';
      return 'info';
    },
    customSuccessObject: withClient,
    customErrorObject: (req, res, _error, value) => withClient(req, res, value),
    serializers: {
      req: (req: IncomingMessage & { id?: unknown }) => ({
        id: req.id,
        method: req.method,
        url: req.url === undefined ? undefined : pathWithoutQuery(req.url),
        remoteAddress: clientAddress(req, trust),
      }),
      res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
    },
  });
}
