import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { z } from 'zod';
import { faultConfigFromEnv, faultEnvSchema, FaultConfigurationError } from '../lambdas/adapters/fault-injection.ts';
import { TIERS, tierSettingsWith, type Tier, type TierSettings } from '../lambdas/core/tiers.ts';

/** A CDK context value that cannot be used; names the context key so the operator knows what to fix. */
export class InvalidContextError extends Error {
  readonly key: string;
  constructor(key: string, detail: string) {
    super(`CDK context "${key}": ${detail}`);
    this.name = 'InvalidContextError';
    this.key = key;
  }
}

/** Reads one context key; the CDK node's `tryGetContext` in the app, a plain map in tests. */
export type ContextReader = (key: string) => unknown;

export interface JwtSettings {
  /** Token issuer (`iss`); both the HTTP JWT authorizer and the WebSocket authorizer require it. */
  readonly issuer: string;
  /** Expected `aud` claim (for Cognito ID tokens: the app client id). */
  readonly audience: string;
  /** Where the WebSocket authorizer fetches the signing keys. */
  readonly jwksUrl: string;
}

/** The FAULT_* variables of docs/faults.md. */
export type FaultVariable = keyof typeof faultEnvSchema.shape;
export const FAULT_VARIABLES = Object.keys(faultEnvSchema.shape) as FaultVariable[];

export interface AppConfig {
  /** Prefix of the two stack names, so several copies (dev, prod) can live in one account. @default 'Backtest' */
  readonly stackPrefix: string;
  /** Tier table with any `concurrency` overrides applied. */
  readonly tiers: Record<Tier, TierSettings>;
  /** External OIDC provider; `undefined` means a Cognito user pool is created and used. */
  readonly externalJwt: JwtSettings | undefined;
  /** Days Lambda and API access logs are kept. @default 30 */
  readonly logRetentionDays: number;
  /** Steady-state requests per second for the HTTP API stage. @default 100 */
  readonly apiRateLimit: number;
  /** Burst for the HTTP API stage. @default 200 */
  readonly apiBurstLimit: number;
  /** Cognito MFA. @default 'optional' */
  readonly mfa: 'optional' | 'required';
  /** Browser origins allowed by CORS (context `corsOrigins`, comma-separated). @default ['*'] */
  readonly corsOrigins: string[];
  /** Existing SNS topic the alarms notify; none when absent. */
  readonly alarmTopicArn: string | undefined;
  /**
   * Fault injection switches (context `faults`, JSON of FAULT_* variables) for a test or demo deployment.
   * @default {} - no FAULT_* variable on any function
   */
  readonly faults: Readonly<Partial<Record<FaultVariable, string>>>;
  /**
   * Creates the account-wide API Gateway CloudWatch Logs role (`AWS::ApiGateway::Account`) that stage access logging
   * needs. Opt-in because there is one per account and region: set it only where nothing else manages it.
   * @default false
   */
  readonly apiGatewayCloudWatchRole: boolean;
  /**
   * Reserves each worker's maxConcurrency as Lambda reserved concurrency. Opt-in: it needs an account quota of
   * the sum of the tiers plus the 100 AWS keeps unreserved (`npm run preflight` checks it).
   * @default false - the event source mappings' maxConcurrency still caps each tier
   */
  readonly reservedConcurrency: boolean;
  /** Extra OAuth callback (and sign-out) URLs of the web app besides the CloudFront URL, e.g. a custom domain. @default [] */
  readonly callbackUrls: string[];
  /** Prefix of the Cognito managed login domain (`<prefix>.auth.<region>.amazoncognito.com`). @default - derived from the stack */
  readonly authDomainPrefix: string | undefined;
  /** An existing CLOUDFRONT-scope WAF WebACL (created in us-east-1, e.g. by the Edge stack); otherwise the service stack creates one. */
  readonly webAclArn: string | undefined;
  /** WAF: requests per IP in any 5 minutes, all paths. @default 1500 */
  readonly wafRequestsPerIp: number;
  /** WAF: `POST /api/backtests` per IP in any 5 minutes. @default 300 */
  readonly wafSubmitsPerIp: number;
}

// `-c key=value` always arrives as a string, cdk.json values keep their JSON type: accept both.
const positiveInt = z.coerce.number().int().positive();
const retentionDays = positiveInt.refine((days) => (Object.values(RetentionDays) as unknown[]).includes(days), {
  message: 'must be a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...)',
});
const concurrencyObject = z.strictObject({ free: positiveInt.optional(), basic: positiveInt.optional(), pro: positiveInt.optional() });

function read<T>(ctx: ContextReader, key: string, schema: z.ZodType<T>): T | undefined {
  const raw = ctx(key);
  if (raw === undefined || raw === null || raw === '') return undefined;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new InvalidContextError(key, parsed.error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; '));
  }
  return parsed.data;
}

function readConcurrency(ctx: ContextReader): Partial<Record<Tier, number>> {
  const raw = ctx('concurrency');
  let whole: Partial<Record<Tier, number>> = {};
  if (raw !== undefined && raw !== null && raw !== '') {
    let value: unknown = raw;
    if (typeof raw === 'string') {
      try {
        value = JSON.parse(raw);
      } catch {
        throw new InvalidContextError('concurrency', `expected JSON like {"free":5,"basic":20,"pro":50}, got ${raw}`);
      }
    }
    whole = read(() => value, 'concurrency', concurrencyObject) ?? {};
  }
  const overrides: Partial<Record<Tier, number>> = { ...whole };
  for (const tier of TIERS) {
    const single = read(ctx, `concurrency.${tier}`, positiveInt);
    if (single !== undefined) overrides[tier] = single;
  }
  return overrides;
}

function readTiers(ctx: ContextReader): Record<Tier, TierSettings> {
  try {
    return tierSettingsWith(readConcurrency(ctx));
  } catch (error) {
    if (error instanceof InvalidContextError) throw error;
    throw new InvalidContextError('concurrency', (error as Error).message);
  }
}

const flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);
// Browsers must come back over https; plain http is allowed only for a developer's own machine.
const callbackUrl = z.url().refine((u) => u.startsWith('https://') || /^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?(\/|$)/.test(u), {
  message: 'must be an https URL (http only for localhost)',
});

function readExternalJwt(ctx: ContextReader): JwtSettings | undefined {
  // Tokens and signing keys fetched over plain http could be swapped in transit: https only outside the local stack.
  const url = z.url({ protocol: /^https$/, error: 'must be an https URL' });
  const issuer = read(ctx, 'jwtIssuer', url);
  const audience = read(ctx, 'jwtAudience', z.string().min(1));
  const jwksUrl = read(ctx, 'jwksUrl', url);
  if (issuer === undefined) {
    if (audience !== undefined || jwksUrl !== undefined) {
      throw new InvalidContextError('jwtIssuer', 'required when jwtAudience or jwksUrl is set');
    }
    return undefined;
  }
  if (audience === undefined) throw new InvalidContextError('jwtAudience', 'required when jwtIssuer is set');
  // Most OIDC providers (Cognito, Auth0, Keycloak) serve the keys here; others must pass jwksUrl from their discovery document.
  return { issuer, audience, jwksUrl: jwksUrl ?? `${issuer.replace(/\/$/, '')}/.well-known/jwks.json` };
}

const faultValue = z.union([z.string(), z.number()]).transform(String);
const faultsObject = z.strictObject(Object.fromEntries(FAULT_VARIABLES.map((name) => [name, faultValue.optional()])) as Record<FaultVariable, z.ZodOptional<typeof faultValue>>);

/** `faults`: a JSON object (a string from `-c`, an object from cdk.json) of FAULT_* variables, checked as the handlers check them. */
function readFaults(ctx: ContextReader): Partial<Record<FaultVariable, string>> {
  const raw = ctx('faults');
  if (raw === undefined || raw === null || raw === '') return {};
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new InvalidContextError('faults', `expected JSON like {"FAULT_WORKER_CRASH_SYMBOLS":"SYNTH-CRASH"}, got ${raw}`);
    }
  }
  const faults = read(() => value, 'faults', faultsObject) ?? {};
  const defined = Object.fromEntries(Object.entries(faults).filter(([, v]) => v !== undefined)) as Partial<Record<FaultVariable, string>>;
  try {
    // The same parser the functions run at cold start: a value they would refuse must stop the synth instead.
    faultConfigFromEnv(defined, () => 0);
  } catch (error) {
    if (error instanceof FaultConfigurationError) throw new InvalidContextError('faults', error.message);
    throw error;
  }
  return defined;
}

/** Parses every context key the app understands; throws `InvalidContextError` naming the key on bad input. */
export function readAppConfig(ctx: ContextReader): AppConfig {
  const apiRateLimit = read(ctx, 'apiRateLimit', positiveInt) ?? 100;
  const apiBurstLimit = read(ctx, 'apiBurstLimit', positiveInt) ?? 200;
  return {
    stackPrefix: read(ctx, 'stackPrefix', z.string().regex(/^[A-Za-z][A-Za-z0-9-]*$/, 'letters, digits and dashes')) ?? 'Backtest',
    tiers: readTiers(ctx),
    externalJwt: readExternalJwt(ctx),
    logRetentionDays: read(ctx, 'logRetentionDays', retentionDays) ?? 30,
    apiRateLimit,
    apiBurstLimit,
    mfa: read(ctx, 'mfa', z.enum(['optional', 'required'])) ?? 'optional',
    corsOrigins: read(ctx, 'corsOrigins', z.string().transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))) ?? ['*'],
    alarmTopicArn: read(ctx, 'alarmTopicArn', z.string().startsWith('arn:')),
    faults: readFaults(ctx),
    apiGatewayCloudWatchRole: read(ctx, 'apiGatewayCloudWatchRole', flag) ?? false,
    reservedConcurrency: read(ctx, 'reservedConcurrency', flag) ?? false,
    callbackUrls:
      read(ctx, 'callbackUrls', z.string().transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean)).pipe(z.array(callbackUrl))) ?? [],
    authDomainPrefix: read(ctx, 'authDomainPrefix', z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'lower-case letters, digits and dashes')),
    webAclArn: read(ctx, 'webAclArn', z.string().regex(/^arn:aws[\w-]*:wafv2:us-east-1:\d{12}:global\/webacl\//, 'must be the ARN of a CLOUDFRONT-scope WebACL (arn:aws:wafv2:us-east-1:<account>:global/webacl/...)')),
    wafRequestsPerIp: read(ctx, 'wafRequestsPerIp', positiveInt.min(10)) ?? 1500,
    wafSubmitsPerIp: read(ctx, 'wafSubmitsPerIp', positiveInt.min(10)) ?? 300,
  };
}
