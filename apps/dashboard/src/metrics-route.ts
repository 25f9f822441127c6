import type { Registry } from '@conveyor/telemetry';
import { Router } from 'express';

/**
 * `GET /metrics`: this process's Node metrics (memory, CPU, event loop), open like the probes.
 * It holds no queue figures: those come from the API alone (see the README's Operations), so a
 * Prometheus scraping the dashboard too adds nothing twice.
 */
export function metricsRoute(registry: Registry): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    const text = await registry.metrics();
    res.status(200).set('Content-Type', registry.contentType).send(text);
  });
  return router;
}
