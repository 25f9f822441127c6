import type { Express } from 'express';
import { buildOpenApiDocument } from '../openapi/build-openapi-document.js';

/** `GET /openapi.json`: the document built once, from the schemas the routes validate with. */
export function registerOpenApiRoute(app: Express): void {
  const text = JSON.stringify(buildOpenApiDocument());
  app.get('/openapi.json', (_req, res) => {
    res.statusCode = 200;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(text);
  });
}
