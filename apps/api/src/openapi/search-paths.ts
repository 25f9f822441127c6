import { searchQuerySchema, searchResponseSchema } from '../routes/search-schemas.js';
import type { OpenApiParts } from './lifecycle-paths.js';

type JsonSchema = Record<string, unknown>;

/** Schemas of the search path, for `components.schemas`. */
export function searchSchemas(parts: OpenApiParts): Record<string, JsonSchema> {
  return { SearchPage: parts.jsonSchema(searchResponseSchema, 'output') };
}

/** `GET /v1/search`. */
export function searchPaths(parts: OpenApiParts): Record<string, unknown> {
  const { json, ref, errors } = parts;
  const pick = (...codes: number[]) =>
    Object.fromEntries(codes.map((code) => [String(code), errors[code]]));
  const query = parts.jsonSchema(searchQuerySchema, 'input') as {
    properties: Record<string, JsonSchema>;
    required?: string[];
  };
  const parameters = Object.entries(query.properties).map(([name, schema]) => {
    const { description, ...rest } = schema;
    return {
      name,
      in: 'query',
      required: query.required?.includes(name) ?? false,
      ...(typeof description === 'string' ? { description } : {}),
      schema: name === 'limit' ? { type: 'integer', minimum: 1, maximum: 100, default: 20 } : rest,
    };
  });
  return {
    '/v1/search': {
      get: {
        operationId: 'searchJobs',
        summary: 'Find jobs by a business key, newest first, dead letters included',
        description:
          "Searches the queues the client may read. An unknown key answers 400 UNKNOWN_SEARCH_KEY with details.validKeys; a cursor not answered by a search answers 400 INVALID_CURSOR. An idempotencyKey is looked up among the calling client's own keys.",
        parameters,
        responses: {
          200: { description: 'One page', ...(json(ref('SearchPage')) as object) },
          ...pick(400, 401, 403, 429, 503),
        },
      },
    },
  };
}
