import { Aws, Duration, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { JwtSettings } from '../app-config.ts';
import { HANDLER_ENTRIES } from '../handler-entries.ts';
import { acknowledgeWildcardResource, BacktestFunction } from './backtest-function.ts';

/** Cognito group whose members get the `admin` claim (and with it the `/admin/...` routes). */
export const ADMIN_GROUP = 'admin';

export interface AuthProps {
  /** An external OIDC issuer to trust instead of creating a user pool. @default - a Cognito user pool */
  readonly externalJwt?: JwtSettings;
  /** @default 'optional' */
  readonly mfa?: 'optional' | 'required';
  readonly logRetentionDays: number;
  /** Prefix of the managed login domain. @default `<stack name in lower case>-<account id>` */
  readonly domainPrefix?: string;
}

/** What the service stack needs to trust a Cognito pool and add its web client (the client lives there, see WebSignIn). */
export interface CognitoPool {
  readonly userPool: cognito.UserPool;
  /** `https://cognito-idp.<region>.amazonaws.com/<pool id>`: the `iss` of its tokens. */
  readonly issuer: string;
  /** `https://<prefix>.auth.<region>.amazoncognito.com`: managed login (authorize, token, logout endpoints). */
  readonly domainUrl: string;
  readonly domain: cognito.UserPoolDomain;
}

/**
 * Who the caller is. By default a Cognito user pool whose ID tokens carry `tier` and `admin` claims (added by
 * the pre-token-generation trigger from the `custom:tier` attribute and the `admin` group); with context
 * `jwtIssuer`/`jwtAudience` any OIDC provider instead. Either way the result is one `jwt` setting that the HTTP
 * JWT authorizer and the WebSocket authorizer both verify against, so the two APIs accept the same tokens.
 */
export class Auth extends Construct {
  /** The external issuer's settings; undefined with Cognito, whose audience is the web client made in the service stack. */
  readonly externalJwt: JwtSettings | undefined;
  readonly cognito: CognitoPool | undefined;
  /** The `iss` both APIs accept. */
  readonly issuer: string;

  constructor(scope: Construct, id: string, props: AuthProps) {
    super(scope, id);
    if (props.externalJwt) {
      this.externalJwt = props.externalJwt;
      this.cognito = undefined;
      this.issuer = props.externalJwt.issuer;
      return;
    }
    this.externalJwt = undefined;

    const mfa = props.mfa ?? 'optional';
    const pool = new cognito.UserPool(this, 'UserPool', {
      // Operators create users and set their tier; letting anyone sign up would let anyone take free-tier capacity.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      // A changed email is the sign-in name and the recovery channel: until the user proves the new address, the
      // old one stays in force (otherwise a typo, or an attacker with a stolen session, takes over recovery).
      keepOriginal: { email: true },
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
    pool.addGroup('AdminGroup', { groupName: ADMIN_GROUP, description: 'May use the admin routes: the queue view (GET /admin/queues) and user administration (/admin/users/...). Tokens carry admin only once the member has TOTP MFA set up.' });

    const trigger = new BacktestFunction(this, 'PreTokenGeneration', {
      entry: HANDLER_ENTRIES.preTokenGeneration,
      description: 'Cognito pre-token-generation: copies custom:tier and admin group membership (admins only with TOTP MFA) into ID token claims',
      memorySize: 256,
      // Cognito waits at most 5 s for a trigger.
      timeout: Duration.seconds(5),
      logRetentionDays: props.logRetentionDays,
    });
    pool.addTrigger(cognito.UserPoolOperation.PRE_TOKEN_GENERATION, trigger.fn);
    // MFA required for admins: the trigger asks the pool whether an admin-group member has TOTP set up (a user with
    // TOTP must pass it at every sign-in) and leaves the admin claim out otherwise. The pool's ARN cannot be named
    // here (the pool already refers to the trigger: a cycle), so the grant is on this account's pools in this region.
    const pools = Stack.of(this).formatArn({ service: 'cognito-idp', resource: 'userpool', resourceName: '*' });
    trigger.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['cognito-idp:AdminGetUser'], resources: [pools] }));
    acknowledgeWildcardResource(
      trigger.role,
      pools,
      'AdminGetUser only (reads MFA settings of the user being signed in); the pool ARN would make a dependency cycle with the trigger it configures.',
    );

    // Managed login (authorization code with PKCE) for the web app; the app client itself is made in the service
    // stack because its callback URL is the CloudFront distribution's.
    const domainPrefix = props.domainPrefix ?? Fn.join('-', [Stack.of(this).stackName.toLowerCase(), Aws.ACCOUNT_ID]);
    const domain = pool.addDomain('Domain', {
      cognitoDomain: { domainPrefix },
      managedLoginVersion: cognito.ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    });

    this.cognito = {
      userPool: pool,
      issuer: pool.userPoolProviderUrl,
      domainUrl: domain.baseUrl(),
      domain,
    };
    this.issuer = pool.userPoolProviderUrl;

    if (mfa === 'optional') {
      Validations.of(pool).acknowledge({
        id: 'AwsSolutions-COG2',
        reason: 'MFA is optional for traders by default; it is required for administrators (no admin claim without TOTP, see the pre-token trigger); -c mfa=required enforces TOTP for every user.',
      });
    }
    Validations.of(pool).acknowledge({
      id: 'AwsSolutions-COG8',
      reason: 'The Plus feature plan is billed per monthly active user; Essentials with a strong password policy, short-lived tokens and admin-only sign-up fits this service. Upgrade when threat protection is required.',
    });
  }
}
