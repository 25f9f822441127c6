import { checkRedis, type RedisConnection } from '@conveyor/redis';
import { Router } from 'express';

/**
 * Probes, open without credentials so orchestrators can call them. `/healthz`: the process runs.
 * `/readyz`: Redis answers and is safe for jobs (version, `noeviction`); 503 with the reasons
 * otherwise.
 */
export function healthRoutes(redis: RedisConnection): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const report = await checkRedis(redis);
    res
      .status(report.ready ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json({
        status: report.ready ? 'ready' : 'not-ready',
        problems: report.problems,
        warnings: report.warnings,
      });
  });
  return router;
}
