import { beforeAll, describe, expect, it } from 'vitest';
import { CLI_LOGIN_PORTS, cliRedirectUri } from '../../client/cognito-login.ts';
import { TABLES } from '../../lambdas/adapters/table-schema.ts';
import { InvalidContextError, readAppConfig } from '../../lib/app-config.ts';
import { apiPathPatterns } from '../../lib/constructs/web-hosting.ts';
import { HTTP_ROUTES, routeKeyOf } from '../../lib/definitions/http-routes.ts';
import { ROUTE_THROTTLES } from '../../lib/definitions/route-throttles.ts';
import { TIERS, type Tier } from '../../lambdas/core/tiers.ts';
import { defaultApp } from './support/default-app.ts';
import { synthBacktestApp, type SynthResult } from './support/synth-app.ts';
import { cdkPath, logicalIdAt, mentions, resources, roleOfFunction, statementsOfRole, type CfnResource } from './support/template-queries.ts';

/**
 * Issue 11 (ready for a real account) as CDK assertions: each block fails on the stack as it was before the fix.
 * The default app comes from the shared synthesis; the context variants synthesize their own (without bundling).
 */

const cap = (tier: Tier): string => tier[0].toUpperCase() + tier.slice(1);
const only = (template: SynthResult['service'], type: string): CfnResource => {
  const all = Object.values(resources(template, type));
  expect(all, type).toHaveLength(1);
  return all[0];
};

describe('item 1: a first deploy that works in a fresh account', () => {
  beforeAll(() => {
    // Synthesis is most of the cost: the shared default app, built once per process, outside any test's timeout.
    defaultApp();
  }, 180_000);

  it('creates no account-wide API Gateway CloudWatch role unless asked (one per account and region)', () => {
    const { stateful, service } = defaultApp();

    expect(Object.keys(resources(stateful, 'AWS::ApiGateway::Account'))).toEqual([]);
    expect(Object.keys(resources(service, 'AWS::ApiGateway::Account'))).toEqual([]);
  });

  it('reserves no worker concurrency by default, so a quota of 10 does not fail the deploy', () => {
    const { service } = defaultApp();

    for (const tier of TIERS) {
      const fn = resources(service, 'AWS::Lambda::Function')[logicalIdAt(service, 'AWS::Lambda::Function', `Workers/${cap(tier)}/Function/`)];
      expect(fn.Properties?.ReservedConcurrentExecutions, tier).toBeUndefined();
    }
  });

  describe('with -c apiGatewayCloudWatchRole=true -c reservedConcurrency=true', () => {
    let synth: SynthResult;
    beforeAll(() => {
      synth = synthBacktestApp({ context: { apiGatewayCloudWatchRole: 'true', reservedConcurrency: 'true' } });
    }, 180_000);

    it('sets the account CloudWatch role (retained) in the stateful stack, deployed before the WebSocket stage', () => {
      const account = only(synth.stateful, 'AWS::ApiGateway::Account') as CfnResource & { DeletionPolicy?: string };
      const roleId = logicalIdAt(synth.stateful, 'AWS::IAM::Role', 'ApiGatewayAccountRole/Role/');
      const role = resources(synth.stateful, 'AWS::IAM::Role')[roleId] as CfnResource & { DeletionPolicy?: string };

      expect(account.Properties?.CloudWatchRoleArn).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
      expect(JSON.stringify(role.Properties?.AssumeRolePolicyDocument)).toContain('apigateway.amazonaws.com');
      expect(JSON.stringify(role.Properties?.ManagedPolicyArns)).toContain('AmazonAPIGatewayPushToCloudWatchLogs');
      expect(role.DeletionPolicy).toBe('Retain');
      expect(account.DeletionPolicy).toBe('Retain');
      expect(synth.stacks.service.dependencies).toContain(synth.stacks.stateful);
    });

    it('reserves each tier its maxConcurrency', () => {
      for (const tier of TIERS) {
        const fn = resources(synth.service, 'AWS::Lambda::Function')[logicalIdAt(synth.service, 'AWS::Lambda::Function', `Workers/${cap(tier)}/Function/`)];
        expect(fn.Properties?.ReservedConcurrentExecutions, tier).toBe(synth.stacks.config.tiers[tier].maxConcurrency);
      }
    });
  });
});

describe('item 2: per-client limits in front of the API', () => {
  let synth: SynthResult;
  let distribution: Record<string, unknown>;
  beforeAll(() => {
    synth = defaultApp();
    distribution = only(synth.service, 'AWS::CloudFront::Distribution').Properties?.DistributionConfig as Record<string, unknown>;
  });

  it('puts a WAF WebACL with per-IP rate rules (429 + Retry-After) on the CloudFront distribution', () => {
    const aclId = logicalIdAt(synth.service, 'AWS::WAFv2::WebACL', 'EdgeFirewall/WebAcl');
    const acl = resources(synth.service, 'AWS::WAFv2::WebACL')[aclId].Properties ?? {};
    const rules = acl.Rules as { Name: string; Action: { Block: { CustomResponse: { ResponseCode: number; ResponseHeaders: { Name: string; Value: string }[] } } }; Statement: { RateBasedStatement: Record<string, unknown> } }[];

    expect(acl.Scope).toBe('CLOUDFRONT');
    expect(distribution.WebACLId).toEqual({ 'Fn::GetAtt': [aclId, 'Arn'] });
    expect(rules.map((r) => r.Name)).toEqual(['SubmitsPerIp', 'RequestsPerIp']);
    for (const rule of rules) {
      expect(rule.Statement.RateBasedStatement).toMatchObject({ AggregateKeyType: 'IP', EvaluationWindowSec: 300 });
      expect(rule.Action.Block.CustomResponse.ResponseCode).toBe(429);
      expect(rule.Action.Block.CustomResponse.ResponseHeaders).toEqual([{ Name: 'Retry-After', Value: '300' }]);
    }
    expect(rules[0].Statement.RateBasedStatement.Limit).toBe(synth.stacks.config.wafSubmitsPerIp);
    expect(JSON.stringify(rules[0].Statement.RateBasedStatement.ScopeDownStatement)).toContain('"SearchString":"/backtests"');
    expect(JSON.stringify(rules[0].Statement.RateBasedStatement.ScopeDownStatement)).toContain('"SearchString":"POST"');
    expect(rules[1].Statement.RateBasedStatement.Limit).toBe(synth.stacks.config.wafRequestsPerIp);
  });

  it('serves the web app from a private bucket (OAC) at / and sends every API path, uncached, to the HTTP API', () => {
    const origins = distribution.Origins as { Id: string; DomainName: unknown; S3OriginConfig?: unknown; OriginAccessControlId?: unknown; CustomOriginConfig?: Record<string, unknown> }[];
    const behaviors = distribution.CacheBehaviors as { PathPattern: string; TargetOriginId: string; AllowedMethods: string[]; CachePolicyId: string; OriginRequestPolicyId: string }[];
    const siteOrigin = origins.find((o) => o.S3OriginConfig !== undefined);
    const apiOrigin = origins.find((o) => o.CustomOriginConfig !== undefined);
    const apiId = logicalIdAt(synth.service, 'AWS::ApiGatewayV2::Api', 'HttpApi/Api/');

    expect(siteOrigin?.OriginAccessControlId).toBeDefined();
    expect((distribution.DefaultCacheBehavior as { TargetOriginId: string }).TargetOriginId).toBe(siteOrigin?.Id);
    expect(mentions(apiOrigin?.DomainName, apiId)).toBe(true);
    expect(apiOrigin?.CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] });
    // Every route of the table is reachable through the distribution, and nothing else goes to the API.
    for (const { path } of Object.values(HTTP_ROUTES)) {
      const segment = `/${path.split('/')[1]}`;
      expect(behaviors.some((b) => b.PathPattern === segment || b.PathPattern === `${segment}/*`), path).toBe(true);
    }
    expect(behaviors.map((b) => b.PathPattern).sort()).toEqual(apiPathPatterns().sort());
    for (const behavior of behaviors) {
      expect(behavior.TargetOriginId, behavior.PathPattern).toBe(apiOrigin?.Id);
      expect(behavior.AllowedMethods, behavior.PathPattern).toContain('POST');
      // Managed CachingDisabled and AllViewerExceptHostHeader (forwards Authorization and Idempotency-Key).
      expect(behavior.CachePolicyId).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad');
      expect(behavior.OriginRequestPolicyId).toBe('b689b0a8-53d0-40ab-baf2-68738e2966ac');
    }
  });

  it('throttles submit, cancel and the admin routes per route on the HTTP API stage, under the stage limit', () => {
    const stage = resources(synth.service, 'AWS::ApiGatewayV2::Stage')[logicalIdAt(synth.service, 'AWS::ApiGatewayV2::Stage', 'HttpApi/Stage/')];
    const settings = stage.Properties?.RouteSettings as Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }>;

    expect(settings[routeKeyOf(HTTP_ROUTES.submit)]).toEqual({ ThrottlingRateLimit: ROUTE_THROTTLES.submit?.rateLimit, ThrottlingBurstLimit: ROUTE_THROTTLES.submit?.burstLimit });
    expect(Object.keys(settings).sort()).toEqual(Object.keys(ROUTE_THROTTLES).map((id) => routeKeyOf(HTTP_ROUTES[id as keyof typeof HTTP_ROUTES])).sort());
    for (const [key, limits] of Object.entries(settings)) expect(limits.ThrottlingRateLimit, key).toBeLessThan(synth.stacks.config.apiRateLimit);
    // The stage names route keys in its settings: it must be updated after the routes exist.
    const dependsOn = (stage as CfnResource & { DependsOn?: string[] }).DependsOn ?? [];
    const submitRoute = Object.entries(resources(synth.service, 'AWS::ApiGatewayV2::Route')).find(([, r]) => r.Properties?.RouteKey === 'POST /backtests')?.[0];
    expect(dependsOn).toContain(submitRoute);
  });

  it('deploys the built web app with a config.json naming the distribution, the WebSocket API and the Cognito client', () => {
    const deployment = only(synth.service, 'Custom::CDKBucketDeployment').Properties ?? {};
    const markers = JSON.stringify(deployment.SourceMarkers);
    const clientId = logicalIdAt(synth.service, 'AWS::Cognito::UserPoolClient', 'WebSignIn/WebClient/');
    const wsApiId = logicalIdAt(synth.service, 'AWS::ApiGatewayV2::Api', 'WebSocketApi/Api/');
    const distributionId = logicalIdAt(synth.service, 'AWS::CloudFront::Distribution', 'WebHosting/Distribution/');

    expect(deployment.SourceObjectKeys).toHaveLength(2);
    expect(markers).toContain(clientId);
    expect(markers).toContain(wsApiId);
    expect(markers).toContain(distributionId);
    expect(markers).toContain('DomainName');
    expect(JSON.stringify(deployment.DistributionPaths)).toContain('/config.json');
  });

  it('refuses a webAclArn that is not a CLOUDFRONT WebACL, naming the key', () => {
    expect(() => readAppConfig((key) => ({ webAclArn: 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/x/y' })[key])).toThrow(InvalidContextError);
  });

  it('outside us-east-1 puts the WebACL in a us-east-1 Edge stack the service stack references across regions', { timeout: 120_000 }, () => {
    const outside = synthBacktestApp({ env: { account: '123456789012', region: 'eu-west-1' } });

    expect(outside.edge).toBeDefined();
    expect(outside.stacks.edge?.region).toBe('us-east-1');
    expect(Object.keys(resources(outside.edge!, 'AWS::WAFv2::WebACL'))).toHaveLength(1);
    expect(Object.keys(resources(outside.service, 'AWS::WAFv2::WebACL'))).toEqual([]);
    expect(outside.stacks.service.dependencies).toContain(outside.stacks.edge);
    const webAcl = (only(outside.service, 'AWS::CloudFront::Distribution').Properties?.DistributionConfig as { WebACLId: unknown }).WebACLId;
    // A cross-region reference: CDK reads the ARN the Edge stack exported in us-east-1.
    expect(JSON.stringify(webAcl)).toContain('ExportsReader');
  });

  it('with -c webAclArn uses that WebACL and creates none', { timeout: 120_000 }, () => {
    const arn = 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/shared/0f0f0f0f-1111-2222-3333-444444444444';
    const given = synthBacktestApp({ context: { webAclArn: arn } });

    expect(Object.keys(resources(given.service, 'AWS::WAFv2::WebACL'))).toEqual([]);
    expect((only(given.service, 'AWS::CloudFront::Distribution').Properties?.DistributionConfig as { WebACLId: unknown }).WebACLId).toBe(arn);
  });
});

describe('item 3: a demoted admin loses admin rights within a minute', () => {
  it.each(['HttpApi/AdminQueues', 'HttpApi/AdminUser', 'HttpApi/AdminCredits', 'HttpApi/AdminTier', 'HttpApi/AdminUserLedger', 'WebSocketApi/Message'])(
    '%s confirms the admin claim against the pool\'s admin group',
    (fnPath) => {
      const synth = defaultApp();
      const poolId = logicalIdAt(synth.stateful, 'AWS::Cognito::UserPool', 'Auth/UserPool/');
      const fn = resources(synth.service, 'AWS::Lambda::Function')[logicalIdAt(synth.service, 'AWS::Lambda::Function', `${fnPath}/Function/`)];
      const grants = statementsOfRole(synth.service, roleOfFunction(synth.service, fnPath)).filter((s) => [s.Action].flat().includes('cognito-idp:AdminListGroupsForUser'));

      expect(JSON.stringify((fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables.ADMIN_USER_POOL_ID)).toContain(poolId);
      expect(grants).toHaveLength(1);
      expect(JSON.stringify(grants[0].Resource)).toContain(poolId);
    },
  );
});

describe('item 4: exact DynamoDB actions', () => {
  let synth: SynthResult;
  beforeAll(() => {
    synth = defaultApp();
  });
  const tableId = (id: 'Jobs' | 'Users') => logicalIdAt(synth.stateful, 'AWS::DynamoDB::Table', `Tables/${id}/`);
  /** DynamoDB actions a function's role allows on one table (resources are imports naming the table's logical id). */
  const actionsOn = (fnPath: string, table: 'Jobs' | 'Users'): string[] =>
    statementsOfRole(synth.service, roleOfFunction(synth.service, fnPath))
      .filter((s) => s.Effect === 'Allow' && JSON.stringify(s.Resource).includes(tableId(table)))
      .flatMap((s) => [s.Action].flat())
      .filter((a) => a.startsWith('dynamodb:'))
      .sort();

  it.each([
    // Query only on the byQueueState index (a dry run's queue position), checked below.
    ['HttpApi/Submit', ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'], ['dynamodb:GetItem', 'dynamodb:UpdateItem']],
    ['HttpApi/CancelJob', ['dynamodb:GetItem', 'dynamodb:UpdateItem'], ['dynamodb:UpdateItem']],
    // Fanned-out sweeps (issue 9): chunk items are Put (only under chunk keys, below) and read back with BatchGetItem.
    ['Workers/Free', ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], ['dynamodb:UpdateItem']],
    ['Workers/Basic', ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], ['dynamodb:UpdateItem']],
    ['Workers/Pro', ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], ['dynamodb:UpdateItem']],
  ])('%s gets exactly what it calls: no Delete or BatchWrite anywhere, no Put on Users', (fnPath, jobs, users) => {
    expect(actionsOn(fnPath, 'Jobs')).toEqual(jobs);
    expect(actionsOn(fnPath, 'Users')).toEqual(users);
  });

  it('submit may Query only the byQueueState index of the Jobs table', () => {
    const queries = statementsOfRole(synth.service, roleOfFunction(synth.service, 'HttpApi/Submit')).filter((s) => [s.Action].flat().includes('dynamodb:Query'));

    expect(queries).toHaveLength(1);
    expect(JSON.stringify(queries[0].Resource)).toContain('/index/byQueueState');
  });

  it.each(['Workers/Free', 'Workers/Basic', 'Workers/Pro'])('%s may Put on the Jobs table only under chunk keys, never a job', (fnPath) => {
    const puts = statementsOfRole(synth.service, roleOfFunction(synth.service, fnPath)).filter((s) => [s.Action].flat().includes('dynamodb:PutItem'));

    expect(puts).toHaveLength(1);
    expect((puts[0] as { Condition?: unknown }).Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['*#chunk#*'] } });
  });

  it('lets no function delete or batch-write items of the Jobs or Users tables', () => {
    const deleters = Object.values(resources(synth.service, 'AWS::IAM::Policy'))
      .filter((p) => !cdkPath(p).includes('/Custom::CDKBucketDeployment'))
      .flatMap((p) => (p.Properties?.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement.map((s) => ({ path: cdkPath(p), ...s })))
      .filter((s) => [s.Action].flat().some((a) => a === 'dynamodb:DeleteItem' || a === 'dynamodb:BatchWriteItem'));

    // The WebSocket functions do, on the Connections table: the check itself is live.
    expect(deleters.length).toBeGreaterThan(0);
    for (const statement of deleters) {
      expect(JSON.stringify(statement.Resource), statement.path).not.toContain(tableId('Jobs'));
      expect(JSON.stringify(statement.Resource), statement.path).not.toContain(tableId('Users'));
    }
  });
});

describe('item 4: exact actions of the WebSocket functions on the Connections table', () => {
  it.each([
    // connect: the connection and the user's slot (Put), the per-user count (Query), and undoing both over the cap.
    ['WebSocketApi/Connect', ['dynamodb:BatchWriteItem', 'dynamodb:PutItem', 'dynamodb:Query']],
    ['WebSocketApi/Disconnect', ['dynamodb:BatchWriteItem', 'dynamodb:Query']],
    ['WebSocketApi/Message', ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']],
    ['ProgressStream/Notifier', ['dynamodb:BatchWriteItem', 'dynamodb:Query']],
  ])('%s gets exactly %j', (fnPath, expected) => {
    const synth = defaultApp();
    const connections = logicalIdAt(synth.stateful, 'AWS::DynamoDB::Table', 'Tables/Connections/');
    const actions = statementsOfRole(synth.service, roleOfFunction(synth.service, fnPath))
      .filter((s) => s.Effect === 'Allow' && JSON.stringify(s.Resource).includes(connections))
      .flatMap((s) => [s.Action].flat())
      .filter((a) => a.startsWith('dynamodb:'))
      .sort();

    expect(actions).toEqual(expected);
  });
});

describe('item 5: Cognito sign-in', () => {
  let synth: SynthResult;
  beforeAll(() => {
    synth = synthBacktestApp({ context: { callbackUrls: 'https://backtest.example.com/,http://localhost:5173/' } });
  }, 180_000);

  it('has one public app client: SRP and refresh only (no USER_PASSWORD_AUTH), code grant with PKCE, no implicit flow', () => {
    const client = only(synth.service, 'AWS::Cognito::UserPoolClient').Properties ?? {};

    expect([...(client.ExplicitAuthFlows as string[])].sort()).toEqual(['ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_SRP_AUTH']);
    expect(client.AllowedOAuthFlows).toEqual(['code']);
    expect(client.AllowedOAuthFlowsUserPoolClient).toBe(true);
    expect(client.GenerateSecret).toBe(false);
    expect(client.SupportedIdentityProviders).toEqual(['COGNITO']);
    expect(Object.keys(resources(synth.stateful, 'AWS::Cognito::UserPoolClient'))).toEqual([]);
  });

  it('takes its callback and sign-out URLs from context and the distribution, and accepts the CLI\'s loopback callbacks', () => {
    const client = only(synth.service, 'AWS::Cognito::UserPoolClient').Properties ?? {};
    const distributionId = logicalIdAt(synth.service, 'AWS::CloudFront::Distribution', 'WebHosting/Distribution/');
    const callbacks = JSON.stringify(client.CallbackURLs);
    // `backtest login` redirects to one of its fixed ports; Cognito matches the URL exactly.
    const cli = CLI_LOGIN_PORTS.map(cliRedirectUri);

    expect(cli).toEqual(['http://localhost:8914/callback', 'http://localhost:8915/callback']);
    expect(client.CallbackURLs).toEqual([...(client.LogoutURLs as unknown[]), ...cli]);
    expect(callbacks).toContain(distributionId);
    expect(callbacks).toContain('https://backtest.example.com/');
    expect(callbacks).toContain('http://localhost:5173/');
    // The CLI never uses the managed login's sign-out page: its loopback is no sign-out URL.
    expect(JSON.stringify(client.LogoutURLs)).not.toContain('/callback');
  });

  it('refuses a plain-http callback URL that is not localhost', () => {
    expect(() => readAppConfig((key) => ({ callbackUrls: 'http://backtest.example.com/' })[key])).toThrow(/callbackUrls/);
  });

  it('keeps the original email until a new one is verified, and has a managed login domain', () => {
    const pool = only(synth.stateful, 'AWS::Cognito::UserPool').Properties ?? {};
    const domain = only(synth.stateful, 'AWS::Cognito::UserPoolDomain').Properties ?? {};

    expect(pool.UserAttributeUpdateSettings).toEqual({ AttributesRequireVerificationBeforeUpdate: ['email'] });
    expect(domain.ManagedLoginVersion).toBe(2);
    expect(Object.keys(resources(synth.service, 'AWS::Cognito::ManagedLoginBranding'))).toHaveLength(1);
  });

  it('lets the pre-token trigger read MFA settings (admins get the admin claim only with TOTP)', () => {
    const role = roleOfFunction(synth.stateful, 'Auth/PreTokenGeneration');
    const actions = statementsOfRole(synth.stateful, role).flatMap((s) => [s.Action].flat());

    expect(actions).toContain('cognito-idp:AdminGetUser');
    expect(actions.filter((a) => a.startsWith('cognito-idp:'))).toEqual(['cognito-idp:AdminGetUser']);
  });
});

describe('item 6: https issuers only', () => {
  it.each(['http://issuer.example.com', 'ftp://issuer.example.com'])('refuses jwtIssuer %s', (issuer) => {
    expect(() => readAppConfig((key) => ({ jwtIssuer: issuer, jwtAudience: 'client' })[key])).toThrow(/jwtIssuer.*https/);
  });

  it('refuses an http jwksUrl', () => {
    expect(() => readAppConfig((key) => ({ jwtIssuer: 'https://issuer.example.com', jwtAudience: 'client', jwksUrl: 'http://issuer.example.com/keys' })[key])).toThrow(/jwksUrl/);
  });
});

describe('item 8: deletion protection', () => {
  it('protects every stateful table against deletion (beyond RETAIN on stack delete)', () => {
    const tables = Object.values(resources(defaultApp().stateful, 'AWS::DynamoDB::Table'));

    expect(tables).toHaveLength(TABLES.length);
    for (const table of tables) expect(table.Properties?.DeletionProtectionEnabled, cdkPath(table)).toBe(true);
  });
});
