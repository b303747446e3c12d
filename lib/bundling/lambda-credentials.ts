// What a Lambda bundle gets for `@aws-sdk/credential-provider-node` (esbuild --alias in
// lib/constructs/backtest-function.ts; the local stack runs the source and keeps the full chain).
// Why: every client's runtimeConfig imports the default chain's `defaultProvider`, and esbuild bundles all of it:
// the SSO, INI, process, web-identity, login, HTTP and IMDS providers with the SSO, STS and sign-in clients they
// build (133 KB of GetJob's 453 KB bundle, parsed at every cold start; docs/performance.md, "Cold starts").
// On Lambda the runtime always puts the execution role's credentials in the environment (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), and the chain's first link, fromEnv, is the one that answers there.
// This module is that link alone, under the export names the clients import. Anywhere the environment has no
// credentials it fails with a sentence saying so, instead of trying profiles, SSO or instance metadata.
// The packages below are the SDK clients' own dependencies (installed with them, not listed in package.json); if a
// lockfile change ever nests them out of reach, esbuild fails the synth rather than bundling something else.
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { doesIdentityRequireRefresh, isIdentityExpired, memoizeIdentityProvider } from '@smithy/core';
import { CredentialsProviderError } from '@smithy/core/config';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, Logger } from '@smithy/types';

/** What the clients pass (the full chain's init also takes profile and SSO options, which need the chain). */
export interface EnvOnlyProviderInit {
  readonly logger?: Logger;
}

const MISSING =
  'No AWS credentials in the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY). This bundle reads credentials ' +
  'only from the environment, as AWS Lambda provides them; profiles, SSO and instance metadata are left out ' +
  '(lib/bundling/lambda-credentials.ts).';

/**
 * The default chain's name and signature; on Lambda it returns what the chain's first link, fromEnv, returns.
 * Memoized as the chain is (the client does not memoize a default provider itself): read once, read again only
 * when the credentials carry an expiration within 5 minutes or the SDK asks for a refresh.
 */
export const defaultProvider = (init: EnvOnlyProviderInit = {}): AwsCredentialIdentityProvider => {
  const fromEnvironment = fromEnv(init);
  const provider: AwsCredentialIdentityProvider = async () => {
    try {
      return await fromEnvironment();
    } catch (error) {
      if (!(error instanceof CredentialsProviderError)) throw error;
      // tryNextLink false: there is no next link here, and the SDK surfaces this message to the caller as is.
      throw new CredentialsProviderError(MISSING, { logger: init.logger, tryNextLink: false });
    }
  };
  return memoizeIdentityProvider(provider, isIdentityExpired, doesIdentityRequireRefresh)!;
};

// The chain exports these two as well; same definitions, so code that imports them behaves the same.
export const credentialsWillNeedRefresh = (credentials: AwsCredentialIdentity): boolean => credentials?.expiration !== undefined;
export const credentialsTreatedAsExpired = (credentials: AwsCredentialIdentity): boolean =>
  credentials?.expiration !== undefined && credentials.expiration.getTime() - Date.now() < 300_000;
