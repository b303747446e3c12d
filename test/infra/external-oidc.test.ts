import { beforeAll, describe, expect, it } from 'vitest';
import { synthBacktestApp, type SynthResult } from './support/synth-app.ts';
import { logicalIdAt, resources } from './support/template-queries.ts';

/** `cdk deploy -c jwtIssuer=https://login.example.com/ -c jwtAudience=backtest-api -c jwksUrl=...` */
describe('external OIDC provider instead of Cognito', () => {
  const issuer = 'https://login.example.com/';
  const jwksUrl = 'https://login.example.com/oauth/jwks';
  let synth: SynthResult;

  beforeAll(() => {
    synth = synthBacktestApp({ context: { jwtIssuer: issuer, jwtAudience: 'backtest-api', jwksUrl } });
  });

  it('creates no user pool', () => {
    expect(resources(synth.stateful, 'AWS::Cognito::UserPool')).toEqual({});
  });

  it('makes both APIs trust the same external issuer and audience', () => {
    const http = Object.values(resources(synth.service, 'AWS::ApiGatewayV2::Authorizer')).find((a) => a.Properties?.AuthorizerType === 'JWT');
    const wsAuthorizer = resources(synth.service, 'AWS::Lambda::Function')[logicalIdAt(synth.service, 'AWS::Lambda::Function', 'WebSocketApi/Authorizer/Function/')];

    expect(http?.Properties?.JwtConfiguration).toEqual({ Issuer: issuer, Audience: ['backtest-api'] });
    expect((wsAuthorizer.Properties?.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
      JWT_ISSUER: issuer,
      JWT_AUDIENCE: 'backtest-api',
      JWKS_URL: jwksUrl,
    });
  });
});
