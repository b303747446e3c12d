import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultApp } from '../support/default-app.ts';
import type { SynthResult } from '../support/synth-app.ts';
import { TIER_SETTINGS } from '../../../lambdas/core/tiers.ts';
import { cdkPath, logicalIdAt, mentions, resources } from '../support/template-queries.ts';
import { REPO_ROOT } from '../../../lib/handler-entries.ts';
import { routeKeyOf } from '../../../lib/definitions/http-routes.ts';
import { HTTP_ROUTES as LOCAL_HTTP_ROUTES } from '../../../local/http-routes.ts';

/** Route key → the function it invokes and that function's handler file (under lambdas/handlers/), as docs/wiring.md lists them. */
const HANDLER_OF_ROUTE: Record<string, readonly [fnPath: string, handlerFile: string]> = {
  'POST /backtests': ['HttpApi/Submit', 'api/submit.ts'],
  'GET /backtests': ['HttpApi/ListJobs', 'api/list-jobs.ts'],
  'GET /backtests/{jobId}': ['HttpApi/GetJob', 'api/get-job.ts'],
  'DELETE /backtests/{jobId}': ['HttpApi/CancelJob', 'api/cancel-job.ts'],
  'GET /admin/queues': ['HttpApi/AdminQueues', 'api/admin-queues.ts'],
  'GET /admin/users/{userId}': ['HttpApi/AdminUser', 'api/admin-user.ts'],
  'POST /admin/users/{userId}/credits': ['HttpApi/AdminCredits', 'api/admin-credits.ts'],
  'PUT /admin/users/{userId}/tier': ['HttpApi/AdminTier', 'api/admin-tier.ts'],
  'GET /me': ['HttpApi/Me', 'api/me.ts'],
  'GET /strategies': ['HttpApi/Strategies', 'api/strategies.ts'],
  'GET /symbols': ['HttpApi/Symbols', 'api/symbols.ts'],
  'GET /backtests/{jobId}/equity': ['HttpApi/JobEquity', 'api/job-equity.ts'],
  'GET /backtests/{jobId}/trades': ['HttpApi/JobTrades', 'api/job-trades.ts'],
  'GET /backtests/{jobId}/sweep': ['HttpApi/JobSweep', 'api/job-sweep.ts'],
  'GET /openapi.json': ['HttpApi/Openapi', 'api/openapi.ts'],
  'GET /me/ledger': ['HttpApi/MyLedger', 'api/my-ledger.ts'],
  'GET /admin/users/{userId}/ledger': ['HttpApi/AdminUserLedger', 'api/admin-user-ledger.ts'],
  'GET /leaderboards': ['HttpApi/Leaderboards', 'api/leaderboards.ts'],
  'GET /leaderboard/{board}': ['HttpApi/Leaderboard', 'api/leaderboard.ts'],
  'POST /backtests/{jobId}/publish': ['HttpApi/Publish', 'api/publish-entry.ts'],
  'DELETE /backtests/{jobId}/publish': ['HttpApi/Unpublish', 'api/unpublish-entry.ts'],
  'POST /leaderboard/{board}/entries/{entryId}/copy': ['HttpApi/CopyEntry', 'api/copy-entry.ts'],
};
/** Routes anyone may call: the API's own description, nothing else. */
const PUBLIC_ROUTES = ['GET /openapi.json'];
const ROUTES = Object.keys(HANDLER_OF_ROUTE);
/** Resources whose FunctionName points at an existing function (a reference), rather than naming a new one. */
const REFERENCES_BY_NAME = ['AWS::Lambda::EventSourceMapping', 'AWS::Lambda::Permission', 'AWS::Lambda::EventInvokeConfig'];

export function describeHttpApi(): void {
  describe('HTTP API', () => {
    let synth: SynthResult;
    let httpApiId: string;
    const httpRoutes = () => Object.values(resources(synth.service, 'AWS::ApiGatewayV2::Route')).filter((r) => mentions(r.Properties?.ApiId, httpApiId));

    beforeAll(() => {
      synth = defaultApp();
      httpApiId = logicalIdAt(synth.service, 'AWS::ApiGatewayV2::Api', 'HttpApi/Api/');
    });

    it('has exactly the routes of DESIGN.md and docs/wiring.md (the admin user routes included)', () => {
      expect(httpRoutes().map((r) => r.Properties?.RouteKey).sort()).toEqual([...ROUTES].sort());
    });

    it('puts the JWT authorizer on every route but GET /openapi.json, which has none', () => {
      const authorizerId = logicalIdAt(synth.service, 'AWS::ApiGatewayV2::Authorizer', 'HttpApi/Api/JwtAuthorizer');
      const authorizer = resources(synth.service, 'AWS::ApiGatewayV2::Authorizer')[authorizerId];
      const open = httpRoutes().filter((r) => r.Properties?.AuthorizationType !== 'JWT');

      expect(open.map((r) => r.Properties?.RouteKey)).toEqual(PUBLIC_ROUTES);
      expect(open[0].Properties?.AuthorizationType).toBe('NONE');
      expect(open[0].Properties?.AuthorizerId).toBeUndefined();
      for (const route of httpRoutes().filter((r) => !PUBLIC_ROUTES.includes(String(r.Properties?.RouteKey)))) {
        expect(route.Properties?.AuthorizationType, String(route.Properties?.RouteKey)).toBe('JWT');
        expect(route.Properties?.AuthorizerId, String(route.Properties?.RouteKey)).toEqual({ Ref: authorizerId });
      }
      expect(authorizer.Properties).toMatchObject({ AuthorizerType: 'JWT', IdentitySource: ['$request.header.Authorization'] });
    });

    it('verifies Cognito ID tokens by default: the pool is the issuer, the app client the audience', () => {
      const authorizer = Object.values(resources(synth.service, 'AWS::ApiGatewayV2::Authorizer')).find((a) => a.Properties?.AuthorizerType === 'JWT');
      const config = JSON.stringify(authorizer?.Properties?.JwtConfiguration);
      const poolId = logicalIdAt(synth.stateful, 'AWS::Cognito::UserPool', 'Auth/UserPool/');
      // The web client lives in this (service) stack, next to the distribution its callback URL names.
      const clientId = logicalIdAt(synth.service, 'AWS::Cognito::UserPoolClient', 'WebSignIn/WebClient/');

      // The pool is imported (the export's name embeds its logical id); the client is a local Ref.
      expect(config).toContain(poolId);
      expect(config).toContain(`{"Ref":"${clientId}"}`);
    });

    it.each(Object.entries(HANDLER_OF_ROUTE))('routes %s to its own function (%s)', (routeKey, [fnPath]) => {
      const route = httpRoutes().find((r) => r.Properties?.RouteKey === routeKey);
      const integration = Object.entries(resources(synth.service, 'AWS::ApiGatewayV2::Integration')).find(([id]) => mentions(route?.Properties?.Target, id));
      const fnId = logicalIdAt(synth.service, 'AWS::Lambda::Function', `${fnPath}/Function/`);
      const fn = resources(synth.service, 'AWS::Lambda::Function')[fnId];

      expect(integration, `integration of ${routeKey}`).toBeDefined();
      expect(mentions(integration?.[1].Properties?.IntegrationUri, fnId)).toBe(true);
      // The console and the alarms show the description: it must name the route the function serves.
      expect(String(fn.Properties?.Description).slice(0, routeKey.length + 2)).toBe(`${routeKey}: `);
    });

    it('is the route table the local gateway serves: same route keys, each running the same handler file', () => {
      const local = Object.fromEntries(LOCAL_HTTP_ROUTES.map((r) => [routeKeyOf(r), r.entry]));

      expect(Object.keys(local).sort()).toEqual(httpRoutes().map((r) => String(r.Properties?.RouteKey)).sort());
      for (const [routeKey, [, handlerFile]] of Object.entries(HANDLER_OF_ROUTE)) {
        expect(local[routeKey], routeKey).toBe(join(REPO_ROOT, 'lambdas', 'handlers', handlerFile));
      }
    });

    it('throttles and access-logs the stage, and answers CORS preflight for the headers clients send', () => {
      const stage = Object.values(resources(synth.service, 'AWS::ApiGatewayV2::Stage')).find((s) => mentions(s.Properties?.ApiId, httpApiId));
      const api = resources(synth.service, 'AWS::ApiGatewayV2::Api')[httpApiId];

      expect(stage?.Properties).toMatchObject({ StageName: '$default', AutoDeploy: true, DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 } });
      expect((stage?.Properties?.AccessLogSettings as { DestinationArn: unknown }).DestinationArn).toBeDefined();
      expect(api.Properties?.CorsConfiguration).toMatchObject({
        AllowHeaders: expect.arrayContaining(['authorization', 'content-type', 'idempotency-key']),
        // PUT for the admin tier route: a browser preflights it.
        AllowMethods: expect.arrayContaining(['GET', 'POST', 'PUT', 'DELETE']),
        AllowOrigins: ['*'],
        ExposeHeaders: ['location'],
        MaxAge: 3600,
      });
    });

    it('tells the admin queue view the concurrency the workers are deployed with', () => {
      const fn = resources(synth.service, 'AWS::Lambda::Function')[logicalIdAt(synth.service, 'AWS::Lambda::Function', 'HttpApi/AdminQueues/Function/')];
      const env = (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;

      expect(JSON.parse(String(env.TIER_CONCURRENCY))).toEqual({
        free: TIER_SETTINGS.free.maxConcurrency,
        basic: TIER_SETTINGS.basic.maxConcurrency,
        pro: TIER_SETTINGS.pro.maxConcurrency,
      });
    });

    it('names no resource by hand (no fixed physical names that would collide between deployments)', () => {
      const named = Object.values({ ...synth.service.toJSON().Resources, ...synth.stateful.toJSON().Resources } as Record<string, { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }>)
        .filter((r) => ['TableName', 'QueueName', 'BucketName', 'FunctionName', 'UserPoolName', 'RoleName', 'LogGroupName', 'DashboardName', 'AlarmName'].some((key) => !REFERENCES_BY_NAME.includes(r.Type) && r.Properties?.[key] !== undefined))
        .map((r) => cdkPath(r as never));

      expect(named).toEqual([]);
    });
  });
}
