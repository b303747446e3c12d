/**
 * Composition root of the leaderboard functions (kept beside dependencies.ts, which it builds on): the Leaderboard
 * table (LEADERBOARD_TABLE), the job repository, the ordinary submit's dependencies and the market data.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import * as z from '../../../engine/zod-mini.ts';
import { CsvFolderMarketData } from '../../adapters/csv-folder-market-data.ts';
import { documentClient } from '../../adapters/dynamodb-document-client.ts';
import { DynamoDbLeaderboardStore } from '../../adapters/dynamodb-leaderboard-store.ts';
import { RoutingMarketData } from '../../adapters/routing-market-data.ts';
import { S3MarketData } from '../../adapters/s3-market-data.ts';
import { SyntheticMarketData } from '../../adapters/synthetic-market-data.ts';
import { systemClock, type Clock } from '../../core/ports/clock.ts';
import type { JobRepository } from '../../core/ports/job-repository.ts';
import type { LeaderboardStore } from '../../core/ports/leaderboard-store.ts';
import type { MarketData } from '../../core/ports/market-data.ts';
import type { SubmitDeps } from '../../core/use-cases/submit-backtest.ts';
import { notifierDependencies, readDependencies, submitDependencies } from './dependencies.ts';
import { envSchemas, parseEnv } from './env.ts';

type Env = NodeJS.ProcessEnv;

const leaderboardTableSchema = z.object({ LEADERBOARD_TABLE: z.string().check(z.minLength(1, 'is required')) });

export function leaderboardStore(env: Env = process.env): LeaderboardStore {
  const { LEADERBOARD_TABLE } = parseEnv(leaderboardTableSchema, env);
  return new DynamoDbLeaderboardStore({ client: documentClient(new DynamoDBClient({})), table: LEADERBOARD_TABLE });
}

function marketData(env: Env): MarketData {
  const e = parseEnv(envSchemas.marketData, env);
  const real = e.DATA_DIR !== undefined ? new CsvFolderMarketData({ dir: e.DATA_DIR }) : new S3MarketData({ client: new S3Client({}), bucket: e.MARKET_DATA_BUCKET! });
  return new RoutingMarketData({ synthetic: new SyntheticMarketData(), real });
}

/** `GET /leaderboards` needs nothing; `GET /leaderboard/{board}` reads the table's rank indexes. */
export function rankDependencies(env: Env = process.env): { store: LeaderboardStore } {
  return { store: leaderboardStore(env) };
}

/** Publish: the caller's job, both windows' data, the table, and the ordinary submit for the out-of-sample job. */
export function publishDependencies(env: Env = process.env): { jobs: JobRepository; store: LeaderboardStore; marketData: MarketData; clock: Clock; submit: SubmitDeps } {
  const submit = submitDependencies(env);
  return { jobs: submit.jobs, store: leaderboardStore(env), marketData: marketData(env), clock: systemClock, submit };
}

export function unpublishDependencies(env: Env = process.env): { jobs: JobRepository; store: LeaderboardStore } {
  return { jobs: readDependencies(env).jobs, store: leaderboardStore(env) };
}

export function copyDependencies(env: Env = process.env): { store: LeaderboardStore; submit: SubmitDeps } {
  return { store: leaderboardStore(env), submit: submitDependencies(env) };
}

/** The recorder: the table, and the WebSocket connections and push for the board watchers. */
export function recorderDependencies(env: Env = process.env) {
  return { store: leaderboardStore(env), clock: systemClock, ...notifierDependencies(env) };
}
