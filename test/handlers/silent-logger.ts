import { Logger } from '@aws-lambda-powertools/logger';

/** Handlers log as in production; tests keep the output readable. */
export const silentLogger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
