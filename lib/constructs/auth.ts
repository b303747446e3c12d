import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import type { JwtSettings } from '../app-config.ts';
import { HANDLER_ENTRIES } from '../handler-entries.ts';
import { BacktestFunction } from './backtest-function.ts';

/** Cognito group whose members get the `admin` claim (and with it the `/admin/...` routes). */
export const ADMIN_GROUP = 'admin';

export interface AuthProps {
  /** An external OIDC issuer to trust instead of creating a user pool. @default - a Cognito user pool */
  readonly externalJwt?: JwtSettings;
  /** @default 'optional' */
  readonly mfa?: 'optional' | 'required';
  readonly logRetentionDays: number;
}

/**
 * Who the caller is. By default a Cognito user pool whose ID tokens carry `tier` and `admin` claims (added by
 * the pre-token-generation trigger from the `custom:tier` attribute and the `admin` group); with context
 * `jwtIssuer`/`jwtAudience` any OIDC provider instead. Either way the result is one `jwt` setting that the HTTP
 * JWT authorizer and the WebSocket authorizer both verify against, so the two APIs accept the same tokens.
 */
export class Auth extends Construct {
  readonly jwt: JwtSettings;
  readonly userPool: cognito.UserPool | undefined;
  readonly userPoolClient: cognito.UserPoolClient | undefined;

  constructor(scope: Construct, id: string, props: AuthProps) {
    super(scope, id);
    if (props.externalJwt) {
      this.jwt = props.externalJwt;
      this.userPool = undefined;
      this.userPoolClient = undefined;
      return;
    }

    const mfa = props.mfa ?? 'optional';
    const pool = new cognito.UserPool(this, 'UserPool', {
      // Operators create users and set their tier; letting anyone sign up would let anyone take free-tier capacity.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      customAttributes: { tier: new cognito.StringAttribute({ minLen: 3, maxLen: 5, mutable: true }) },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: mfa === 'required' ? cognito.Mfa.REQUIRED : cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      // Users and their passwords cannot be recreated from code.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    pool.addGroup('AdminGroup', { groupName: ADMIN_GROUP, description: 'May use the admin routes: the queue view (GET /admin/queues) and user administration (/admin/users/...).' });

    const trigger = new BacktestFunction(this, 'PreTokenGeneration', {
      entry: HANDLER_ENTRIES.preTokenGeneration,
      description: 'Cognito pre-token-generation: copies custom:tier and admin group membership into ID token claims',
      memorySize: 256,
      // Cognito waits at most 5 s for a trigger.
      timeout: Duration.seconds(5),
      logRetentionDays: props.logRetentionDays,
    });
    pool.addTrigger(cognito.UserPoolOperation.PRE_TOKEN_GENERATION, trigger.fn);

    // The tier is a billing fact: clients may read it but only an administrator may write it.
    const standardWritable = new cognito.ClientAttributes().withStandardAttributes({ email: true, fullname: true });
    const client = pool.addClient('AppClient', {
      authFlows: { userSrp: true, userPassword: true },
      generateSecret: false,
      preventUserExistenceErrors: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
      enableTokenRevocation: true,
      readAttributes: standardWritable.withCustomAttributes('tier'),
      writeAttributes: standardWritable,
    });

    this.userPool = pool;
    this.userPoolClient = client;
    const issuer = pool.userPoolProviderUrl;
    this.jwt = { issuer, audience: client.userPoolClientId, jwksUrl: `${issuer}/.well-known/jwks.json` };

    if (mfa === 'optional') {
      Validations.of(pool).acknowledge({
        id: 'AwsSolutions-COG2',
        reason: 'MFA is optional by default so scripted API clients can sign in; deploy with -c mfa=required to enforce TOTP for every user.',
      });
    }
    Validations.of(pool).acknowledge({
      id: 'AwsSolutions-COG8',
      reason: 'The Plus feature plan is billed per monthly active user; Essentials with a strong password policy, short-lived tokens and admin-only sign-up fits this service. Upgrade when threat protection is required.',
    });
  }
}
