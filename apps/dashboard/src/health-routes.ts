import { checkRedis, probeProblems, type RedisConnection } from '@conveyor/redis';
import type { Logger } from '@conveyor/telemetry';
import { Router } from 'express';

/**
 * Probes, open without credentials so orchestrators can call them. `/healthz`: the process runs.
 * `/readyz`: Redis answers and is safe for jobs (version, `noeviction`):
 * `{ status: 'ready', problems: [] }`, or 503 `{ status: 'not-ready', problems }` with short
 * reasons (the shape every app's `/readyz` answers). Anyone who can reach the port can
 * call them, so they never say where Redis is or which version it runs: the full report goes to
 * the log, once each time readiness changes.
 */
export function healthRoutes(redis: RedisConnection, logger: Logger): Router {
  const router = Router();
  let lastLogged = '';
  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const report = await checkRedis(redis);
    const logged = report.problems.join('\n');
    if (logged !== lastLogged) {
      lastLogged = logged;
      if (report.ready) logger.info('ready: Redis is reachable and safe for jobs');
      else logger.warn({ problems: report.problems }, 'not ready: /readyz answers 503');
    }
    res.set('Cache-Control', 'no-store');
    const problems = probeProblems(report);
    res.status(report.ready ? 200 : 503).json({
      status: report.ready ? 'ready' : 'not-ready',
      problems,
    });
  });
  return router;
}
