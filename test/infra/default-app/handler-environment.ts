import { beforeAll, describe, expect, it } from 'vitest';
import * as leaderboardDeps from '../../../lambdas/handlers/shared/leaderboard-dependencies.ts';
import * as deps from '../../../lambdas/handlers/shared/dependencies.ts';
import { defaultApp } from '../support/default-app.ts';
import type { SynthResult } from '../support/synth-app.ts';
import { logicalIdAt, placeholderEnv, resources } from '../support/template-queries.ts';

/**
 * The contract between lib/ and lambdas/: each deployed function's environment must satisfy the env schema its
 * handler parses at cold start. Built from the synthesized template, with CloudFormation references replaced by
 * placeholders (`<Ref>`-style names), so a variable the CDK forgot fails here instead of at the first invocation.
 */
export const FACTORIES: Record<string, (env: NodeJS.ProcessEnv) => unknown> = {
  'HttpApi/Submit': deps.submitDependencies,
  'HttpApi/GetJob': deps.readDependencies,
  'HttpApi/ListJobs': deps.readDependencies,
  'HttpApi/CancelJob': deps.cancelDependencies,
  'HttpApi/AdminQueues': deps.adminQueuesDependencies,
  'HttpApi/AdminUser': deps.adminUsersDependencies,
  'HttpApi/AdminCredits': deps.adminUsersDependencies,
  'HttpApi/AdminTier': deps.adminUsersDependencies,
  'HttpApi/Me': deps.meDependencies,
  'HttpApi/Strategies': () => ({}),
  'HttpApi/Symbols': deps.symbolsDependencies,
  'HttpApi/JobEquity': deps.readDependencies,
  'HttpApi/JobTrades': deps.readDependencies,
  'HttpApi/JobSweep': deps.readDependencies,
  'HttpApi/Openapi': () => ({}),
  'HttpApi/MyLedger': deps.ownLedgerDependencies,
  'HttpApi/AdminUserLedger': deps.ledgerDependencies,
  'StuckJobSweeper/Sweeper': deps.sweeperDependencies,
  'Workers/Free': deps.workerDependencies,
  'Workers/Basic': deps.workerDependencies,
  'Workers/Pro': deps.workerDependencies,
  'ProgressStream/Notifier': deps.progressNotifierDependencies,
  'WebSocketApi/Authorizer': deps.authorizerDependencies,
  'WebSocketApi/Connect': deps.connectionDependencies,
  'WebSocketApi/Disconnect': deps.connectionDependencies,
  'WebSocketApi/Message': deps.messageDependencies,
  'HttpApi/Leaderboards': () => ({}),
  'HttpApi/Leaderboard': leaderboardDeps.rankDependencies,
  'HttpApi/Publish': leaderboardDeps.publishDependencies,
  'HttpApi/Unpublish': leaderboardDeps.unpublishDependencies,
  'HttpApi/CopyEntry': leaderboardDeps.copyDependencies,
  'LeaderboardRecorder/Recorder': leaderboardDeps.recorderDependencies,
};

export function describeHandlerEnvironment(): void {
  describe('deployed environment satisfies each handler', () => {
    let synth: SynthResult;
    const envOf = (path: string): NodeJS.ProcessEnv =>
      placeholderEnv(resources(synth.service, 'AWS::Lambda::Function')[logicalIdAt(synth.service, 'AWS::Lambda::Function', `${path}/Function/`)]);

    beforeAll(() => {
      synth = defaultApp();
    });

    it('covers every function of the service stack', () => {
      const paths = Object.values(resources(synth.service, 'AWS::Lambda::Function'))
        .map((fn) => String(fn.Metadata?.['aws:cdk:path']))
        // CDK's BucketDeployment helper runs CDK's code, not a handler of ours.
        .filter((path) => !path.includes('/Custom::CDKBucketDeployment'))
        .map((path) => path.replace(/^[^/]+\//, '').replace(/\/Function\/Resource$/, ''));

      expect(paths.sort()).toEqual(Object.keys(FACTORIES).sort());
    });

    it.each(Object.keys(FACTORIES))('%s builds its dependencies from the deployed environment', (path) => {
      const env = envOf(path);

      expect(() => FACTORIES[path](env)).not.toThrow();
    });
  });
}
