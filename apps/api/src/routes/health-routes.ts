import { checkRedis, probeProblems } from '@conveyor/redis';
import type { Express } from 'express';
import { sendJson } from '../http/send-json.js';
import type { RouteContext } from './route-context.js';

/** Upper bound of one readiness check, below common probe timeouts. */
const READY_CHECK_TIMEOUT_MS = 1500;

/**
 * `GET /healthz`: the process runs (200 always). `GET /readyz`: Redis answers and is safe for
 * jobs (`checkRedis` on the fail-fast admin connection: with `REDIS_MIN_REPLICAS_ACK`, that many
 * replicas online) and the producer connection is up; 503 with short reasons when not (the
 * details are logged: the route is open), and 503 while shutting down so load balancers stop
 * sending traffic first.
 */
export function registerHealthRoutes(app: Express, ctx: RouteContext): void {
  // Probes poll every few seconds: the details are logged when readiness changes, not each time.
  let lastLogged = '';
  app.get('/healthz', (_req, res) => {
    sendJson(res, 200, { status: 'ok' });
  });

  app.get('/readyz', async (req, res) => {
    if (ctx.isShuttingDown()) {
      sendJson(res, 503, { status: 'shutting-down', problems: ['the API is shutting down'] });
      return;
    }
    const redis = await checkRedis(ctx.adminConnection, {
      timeoutMs: READY_CHECK_TIMEOUT_MS,
      minReplicas: ctx.config.redis.replicaAck?.replicas ?? 0,
    });
    const problems = probeProblems(redis);
    const producerStatus = ctx.producerConnection.status;
    // Both connections reconnect on their own schedule; enqueues need this one.
    if (producerStatus !== 'ready') {
      problems.push('the producer connection to Redis is not ready');
    }
    const ready = problems.length === 0;
    const logged = [...redis.problems, producerStatus].join('\n');
    if (logged !== lastLogged) {
      lastLogged = logged;
      if (ready) req.log.info('ready: Redis is reachable and safe for jobs');
      else req.log.warn({ problems: redis.problems, producerStatus }, 'not ready');
    }
    sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not-ready', problems });
  });
}
