import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One Powertools logger per function. Events are never logged whole (they carry the Authorization header and
 * the WebSocket `token` query string); handlers log ids and outcomes only.
 */
export function createLogger(serviceSuffix: string): Logger {
  return new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? `backtest-${serviceSuffix}` });
}
