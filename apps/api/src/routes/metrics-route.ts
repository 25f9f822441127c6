import type { Express } from 'express';
import type { Registry } from 'prom-client';

/**
 * `GET /metrics`: Prometheus text. Open, like `/healthz`: it holds counts and timings, no payloads
 * or secrets; keep the port off the public internet (or scrape through a network policy).
 */
export function registerMetricsRoute(
  app: Express,
  registry: Registry,
  metricsText: () => Promise<string> = () => registry.metrics(),
): void {
  app.get('/metrics', async (_req, res) => {
    const text = await metricsText();
    res.statusCode = 200;
    res.setHeader('content-type', registry.contentType);
    res.end(text);
  });
}
