import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { httpRouteList } from '../../lib/definitions/http-routes.ts';
import { createOpenApiHandler } from '../../lambdas/handlers/api/openapi-handler.ts';
import { openApiDocument } from '../../lambdas/handlers/api/openapi-document.ts';
import { submitRequestSchema } from '../../lambdas/core/submit-schema.ts';
import { httpEvent, lambdaContext } from '../support/events/index.ts';
import { silentLogger } from './silent-logger.ts';

type Operation = { operationId: string; security?: unknown[]; parameters?: { name: string; in: string }[]; requestBody?: unknown; responses: Record<string, unknown> };

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document (checked by a real validator)', async () => {
    const validator = new Validator();
    const result = await validator.validate(openApiDocument({ serverUrl: 'http://127.0.0.1:3000' }));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('describes every route of the route table with its path parameters, and only those', () => {
    const doc = openApiDocument() as { paths: Record<string, Record<string, Operation>> };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const table = httpRouteList().map(({ route }) => `${route.method} ${route.path}`);
    expect(documented.sort()).toEqual(table.sort());
    for (const { id, route } of httpRouteList()) {
      const op = doc.paths[route.path][route.method.toLowerCase()];
      expect(op.operationId).toBe(id);
      const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      expect((op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name), id).toEqual(names);
      // Every authorized route documents its 401; the public one says it needs no auth.
      if (route.auth === 'none') expect(op.security).toEqual([]);
      else expect(Object.keys(op.responses), id).toContain('401');
    }
  });

  it('takes the submit body from the zod schema submit validates with', () => {
    const doc = openApiDocument() as { paths: Record<string, Record<string, Operation>> };
    const body = doc.paths['/backtests'].post.requestBody as { content: Record<string, { schema: Record<string, unknown> }> };
    const { $schema: _d, ...expected } = z.toJSONSchema(submitRequestSchema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    expect(body.content['application/json'].schema).toEqual(expected);
    expect(body.content['application/json'].schema).toMatchObject({ additionalProperties: false, required: expect.arrayContaining(['strategyId', 'symbol']) });
  });

  it('is served without a token, naming the server it was asked on', async () => {
    const handler = createOpenApiHandler({ logger: silentLogger });
    const event = httpEvent({ method: 'GET', route: '/openapi.json' });
    delete (event.requestContext as { authorizer?: unknown }).authorizer;
    delete event.headers.authorization;
    const res = await handler(event, lambdaContext());
    expect(res.statusCode).toBe(200);
    const doc = JSON.parse(res.body!);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: 'https://api-test.execute-api.us-east-1.amazonaws.com' }]);
  });
});
