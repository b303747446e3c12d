import { beforeAll, describe, expect, it } from 'vitest';
import { defaultApp } from '../support/default-app.ts';
import type { SynthResult } from '../support/synth-app.ts';
import { logicalIdAt, mentions, resources, type CfnResource } from '../support/template-queries.ts';

export function describeWebSocketApi(): void {
  describe('WebSocket API', () => {
    let synth: SynthResult;
    let wsApiId: string;
    const wsRoutes = (): CfnResource[] => Object.values(resources(synth.service, 'AWS::ApiGatewayV2::Route')).filter((r) => mentions(r.Properties?.ApiId, wsApiId));
    const route = (key: string): CfnResource => {
      const found = wsRoutes().find((r) => r.Properties?.RouteKey === key);
      if (!found) throw new Error(`no WebSocket route ${key}`);
      return found;
    };
    const targetFunction = (key: string): string => {
      const integration = Object.entries(resources(synth.service, 'AWS::ApiGatewayV2::Integration')).find(([id]) => mentions(route(key).Properties?.Target, id));
      const fn = Object.keys(resources(synth.service, 'AWS::Lambda::Function')).find((id) => mentions(integration?.[1].Properties?.IntegrationUri, id));
      return String(fn);
    };

    beforeAll(() => {
      synth = defaultApp();
      wsApiId = logicalIdAt(synth.service, 'AWS::ApiGatewayV2::Api', 'WebSocketApi/Api/');
    });

    it('selects routes by the action field and has the five routes of the contract', () => {
      expect(resources(synth.service, 'AWS::ApiGatewayV2::Api')[wsApiId].Properties).toMatchObject({
        ProtocolType: 'WEBSOCKET',
        RouteSelectionExpression: '$request.body.action',
      });
      expect(wsRoutes().map((r) => r.Properties?.RouteKey).sort()).toEqual(['$connect', '$default', '$disconnect', 'subscribe', 'unsubscribe']);
    });

    it('authorizes $connect with the Lambda REQUEST authorizer reading ?token=', () => {
      const authorizers = Object.entries(resources(synth.service, 'AWS::ApiGatewayV2::Authorizer')).filter(([, a]) => mentions(a.Properties?.ApiId, wsApiId));
      expect(authorizers).toHaveLength(1);
      const [authorizerId, authorizer] = authorizers[0];
      const authorizerFnId = logicalIdAt(synth.service, 'AWS::Lambda::Function', 'WebSocketApi/Authorizer/Function/');

      expect(route('$connect').Properties).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: authorizerId } });
      expect(authorizer.Properties).toMatchObject({ AuthorizerType: 'REQUEST', IdentitySource: ['route.request.querystring.token'] });
      expect(mentions(authorizer.Properties?.AuthorizerUri, authorizerFnId)).toBe(true);
    });

    it('gives the authorizer the issuer, audience and JWKS URL the HTTP API trusts', () => {
      const fn = resources(synth.service, 'AWS::Lambda::Function')[logicalIdAt(synth.service, 'AWS::Lambda::Function', 'WebSocketApi/Authorizer/Function/')];
      const env = (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
      const httpAuthorizer = Object.values(resources(synth.service, 'AWS::ApiGatewayV2::Authorizer')).find((a) => a.Properties?.AuthorizerType === 'JWT');
      const jwt = httpAuthorizer?.Properties?.JwtConfiguration as { Issuer: unknown; Audience: unknown[] };

      expect(env.JWT_ISSUER).toEqual(jwt.Issuer);
      expect(env.JWT_AUDIENCE).toEqual(jwt.Audience[0]);
      expect(JSON.stringify(env.JWKS_URL)).toContain('/.well-known/jwks.json');
    });

    it('sends subscribe, unsubscribe and $default to message.ts, and $connect / $disconnect to their own handlers', () => {
      const message = logicalIdAt(synth.service, 'AWS::Lambda::Function', 'WebSocketApi/Message/Function/');

      expect([targetFunction('subscribe'), targetFunction('unsubscribe'), targetFunction('$default')]).toEqual([message, message, message]);
      expect(targetFunction('$connect')).toBe(logicalIdAt(synth.service, 'AWS::Lambda::Function', 'WebSocketApi/Connect/Function/'));
      expect(targetFunction('$disconnect')).toBe(logicalIdAt(synth.service, 'AWS::Lambda::Function', 'WebSocketApi/Disconnect/Function/'));
    });

    it('deploys a prod stage automatically, throttled and access-logged', () => {
      const stage = Object.values(resources(synth.service, 'AWS::ApiGatewayV2::Stage')).find((s) => mentions(s.Properties?.ApiId, wsApiId));

      expect(stage?.Properties).toMatchObject({ StageName: 'prod', AutoDeploy: true, DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 } });
      expect(stage?.Properties?.AccessLogSettings).toBeDefined();
    });

    it('points WS_MANAGEMENT_ENDPOINT of message and notifier at https://<api>.execute-api.<region>.<suffix>/prod', () => {
      for (const path of ['WebSocketApi/Message/Function/', 'ProgressStream/Notifier/Function/']) {
        const fn = resources(synth.service, 'AWS::Lambda::Function')[logicalIdAt(synth.service, 'AWS::Lambda::Function', path)];
        const endpoint = JSON.stringify((fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables.WS_MANAGEMENT_ENDPOINT);

        expect(endpoint).toContain('https://');
        expect(endpoint).toContain(wsApiId);
        expect(endpoint).toContain('.execute-api.');
        expect(endpoint).toMatch(/\/prod"/);
      }
    });
  });
}
